using System.Threading.RateLimiting;
using Hangfire;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Jobs;

/// <summary>Asks a job server for a heartbeat: the row is written first, then the job is enqueued.</summary>
public sealed class HeartbeatRequests(
    IDbContextFactory<IncidentIoDbContext> dbFactory,
    IBackgroundJobClient jobs,
    JobServerIdentity self,
    TimeProvider clock,
    IOptions<JobsOptions> options) : IDisposable
{
    // Anyone who may open /system can press the button; each press is a row and a queued job.
    private readonly FixedWindowRateLimiter limiter = new(new FixedWindowRateLimiterOptions
    {
        PermitLimit = Math.Max(1, options.Value.OnDemandHeartbeatsPerMinute),
        Window = TimeSpan.FromMinutes(1),
        QueueLimit = 0,
    });

    /// <summary>Queues a heartbeat now; null when more were asked for this minute than <see cref="JobsOptions.OnDemandHeartbeatsPerMinute"/>.</summary>
    public async Task<Guid?> RequestAsync(CancellationToken cancellationToken = default)
    {
        using var permit = limiter.AttemptAcquire();
        if (!permit.IsAcquired)
        {
            return null;
        }

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

    public void Dispose() => limiter.Dispose();
}
