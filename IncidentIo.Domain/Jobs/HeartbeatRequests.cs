using Hangfire;
using IncidentIo.Domain.Data;
using Microsoft.EntityFrameworkCore;

namespace IncidentIo.Domain.Jobs;

/// <summary>Asks a job server for a heartbeat: the row is written first, then the job is enqueued.</summary>
public sealed class HeartbeatRequests(
    IDbContextFactory<IncidentIoDbContext> dbFactory,
    IBackgroundJobClient jobs,
    JobServerIdentity self,
    TimeProvider clock)
{
    public async Task<Guid> RequestAsync(CancellationToken cancellationToken = default)
    {
        var heartbeat = new JobHeartbeat
        {
            Trigger = HeartbeatTrigger.OnDemand,
            RequestedBy = self.Name,
            RequestedAt = clock.GetUtcNow(),
        };
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        db.JobHeartbeats.Add(heartbeat);
        await db.SaveChangesAsync(cancellationToken);

        // The job records its own Hangfire id when it runs.
        jobs.Enqueue<HeartbeatJob>(job => job.RunAsync(heartbeat.Id, null, CancellationToken.None));
        return heartbeat.Id;
    }

    public async Task<IReadOnlyList<JobHeartbeat>> RecentAsync(int count, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.JobHeartbeats.AsNoTracking()
            .OrderByDescending(h => h.RequestedAt)
            .Take(count)
            .ToListAsync(cancellationToken);
    }

    public async Task<JobHeartbeat?> FindAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.JobHeartbeats.AsNoTracking().SingleOrDefaultAsync(h => h.Id == id, cancellationToken);
    }
}
