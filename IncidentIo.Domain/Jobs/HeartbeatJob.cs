using Hangfire.Server;
using IncidentIo.Domain.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace IncidentIo.Domain.Jobs;

/// <summary>The first job: records which server ran it and when, so job health is visible in the portal.</summary>
public sealed class HeartbeatJob(
    IncidentIoDbContext db,
    JobServerIdentity server,
    TimeProvider clock,
    ILogger<HeartbeatJob> logger)
{
    /// <summary>How many heartbeats are kept; older ones are removed by the scheduled run.</summary>
    public const int Retained = 200;

    /// <summary>Executes a heartbeat that was requested (and stored) by <see cref="HeartbeatRequests"/>.</summary>
    public async Task RunAsync(Guid heartbeatId, PerformContext? context, CancellationToken cancellationToken)
    {
        var heartbeat = await db.JobHeartbeats.SingleOrDefaultAsync(h => h.Id == heartbeatId, cancellationToken);
        if (heartbeat is null)
        {
            logger.LogWarning("Heartbeat {HeartbeatId} no longer exists; nothing to do", heartbeatId);
            return;
        }

        if (heartbeat.ExecutedAt is not null)
        {
            // A retried job must not overwrite the first execution's measurement.
            return;
        }

        heartbeat.ExecutedAt = clock.GetUtcNow();
        heartbeat.ExecutedBy = server.Name;
        heartbeat.JobId = context?.BackgroundJob.Id;
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Heartbeat {HeartbeatId} picked up after {LatencyMs:F0} ms", heartbeatId, heartbeat.PickupLatency?.TotalMilliseconds);
    }

    /// <summary>The recurring heartbeat: records itself and trims old rows.</summary>
    public async Task RunScheduledAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        db.JobHeartbeats.Add(new JobHeartbeat
        {
            Trigger = HeartbeatTrigger.Scheduled,
            RequestedBy = "schedule",
            RequestedAt = now,
            ExecutedAt = now,
            ExecutedBy = server.Name,
        });
        await db.SaveChangesAsync(cancellationToken);

        var keepFrom = await db.JobHeartbeats
            .OrderByDescending(h => h.RequestedAt)
            .Skip(Retained)
            .Select(h => (DateTimeOffset?)h.RequestedAt)
            .FirstOrDefaultAsync(cancellationToken);
        if (keepFrom is { } cutoff)
        {
            await db.JobHeartbeats.Where(h => h.RequestedAt <= cutoff).ExecuteDeleteAsync(cancellationToken);
        }
    }
}
