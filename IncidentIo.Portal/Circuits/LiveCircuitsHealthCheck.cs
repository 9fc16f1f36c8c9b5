using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace IncidentIo.Portal.Circuits;

/// <summary>Always healthy: reports the circuits this Portal holds, for operators sizing it (each costs memory).</summary>
internal sealed class LiveCircuitsHealthCheck(LiveCircuits circuits) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var open = circuits.Open;
        var connected = circuits.Connected;
        var data = new Dictionary<string, object> { ["open"] = open, ["connected"] = connected };
        return Task.FromResult(HealthCheckResult.Healthy($"{open} circuit(s) open, {connected} with a browser connected.", data));
    }
}
