using IncidentIo.Domain;
using IncidentIo.Domain.Health;
using IncidentIo.Domain.Hosting;
using Microsoft.Extensions.Options;

namespace IncidentIo.Worker;

public static class WorkerRegistration
{
    /// <summary>A Hangfire job server on PostgreSQL job storage, with a /healthz endpoint for the orchestrator.</summary>
    public static WebApplicationBuilder AddWorker(this WebApplicationBuilder builder)
    {
        builder.AddIncidentIoDomain("worker", runJobServer: true);
        builder.Services.AddOptions<JobsOptions>()
            .Validate(jobs => jobs.IsDistributed,
                "IncidentIo.Worker runs jobs from shared PostgreSQL job storage: set Jobs:Mode to 'Distributed' " +
                "(and Database:Provider to 'Postgres'). In the embedded default the Portal runs jobs itself.");
        return builder;
    }

    public static WebApplication MapWorker(this WebApplication app)
    {
        app.UseRateLimiter();
        // No one signs in to a Worker: the details are for callers with Health:DetailsKey.
        app.MapHealthEndpoint(isOperator: _ => false);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var jobs = app.Services.GetRequiredService<IOptions<JobsOptions>>().Value;
            app.Logger.LogInformation("IncidentIo worker is running {WorkerCount} job workers; health at {Urls}/healthz",
                jobs.WorkerCount, string.Join(", ", app.Urls));
        });
        return app;
    }
}
