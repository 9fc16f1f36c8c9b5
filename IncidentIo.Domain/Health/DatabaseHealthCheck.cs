using IncidentIo.Domain.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace IncidentIo.Domain.Health;

/// <summary>Healthy when the database answers and has every migration applied.</summary>
public sealed class DatabaseHealthCheck(IDbContextFactory<IncidentIoDbContext> dbFactory) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            if (!await db.Database.CanConnectAsync(cancellationToken))
            {
                return HealthCheckResult.Unhealthy("The database cannot be reached.");
            }

            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).Count();
            return pending == 0
                ? HealthCheckResult.Healthy($"{db.Database.ProviderName} reachable, schema up to date.")
                : HealthCheckResult.Degraded($"{pending} migration(s) not applied yet.");
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("The database cannot be reached.", exception);
        }
    }
}
