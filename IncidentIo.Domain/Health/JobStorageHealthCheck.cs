using Hangfire;
using IncidentIo.Domain.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Health;

/// <summary>
/// Healthy when the job storage answers and at least one job server is alive
/// (in <c>Distributed</c> mode the servers are the Worker processes).
/// </summary>
public sealed class JobStorageHealthCheck(JobStorage storage, IOptions<JobsOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var monitoring = storage.GetMonitoringApi();
            var servers = monitoring.Servers();
            var data = new Dictionary<string, object>
            {
                ["mode"] = options.Value.Mode,
                ["servers"] = servers.Count,
                ["enqueued"] = monitoring.EnqueuedCount("default"),
            };
            return Task.FromResult(servers.Count > 0
                ? HealthCheckResult.Healthy($"{servers.Count} job server(s) alive.", data)
                : HealthCheckResult.Degraded("Job storage reachable but no job server is running: jobs wait until a worker starts.", data: data));
        }
        catch (Exception exception)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("The job storage cannot be reached.", exception));
        }
    }
}
