using IncidentIo.Domain;
using IncidentIo.Domain.Hosting;
using IncidentIo.Portal;

return await StartupGuard.RunAsync("IncidentIo.Portal", async () =>
{
    var builder = WebApplication.CreateBuilder(ProductHost.Options(args));
    builder.AddPortal();

    var app = builder.Build();
    await app.Services.PrepareIncidentIoAsync();
    app.MapPortal();

    await app.RunAsync();
});
