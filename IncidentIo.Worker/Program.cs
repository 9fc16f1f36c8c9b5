using IncidentIo.Domain;
using IncidentIo.Domain.Hosting;
using IncidentIo.Worker;

return await StartupGuard.RunAsync("IncidentIo.Worker", async () =>
{
    var builder = WebApplication.CreateBuilder(ProductHost.Options(args));
    builder.AddWorker();

    var app = builder.Build();
    await app.Services.PrepareIncidentIoAsync();
    app.MapWorker();

    await app.RunAsync();
});
