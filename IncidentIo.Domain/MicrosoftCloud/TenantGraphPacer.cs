using IncidentIo.Domain.Data;
using IncidentIo.Domain.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.MicrosoftCloud;

/// <summary>
/// Paces one kind of Graph call per tenant across every worker process, through the database:
/// each call takes the row's next slot (an optimistic update, so two workers never take the same
/// one). A 429 pushes the schedule past its <c>Retry-After</c> for everyone and doubles the gap;
/// calls without 429 narrow it back to the configured rate, a tenth at a time. A <c>Retry-After</c>
/// longer than <c>Microsoft:MaxRetryAfter</c> counts as that long.
/// </summary>
public sealed class TenantGraphPacer(IDbContextFactory<IncidentIoDbContext> dbFactory, IOptions<MicrosoftOptions> microsoft, TimeProvider clock)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Waits for this worker's slot for a call. <paramref name="perSecond"/> is the target rate for all workers together.
    /// <paramref name="slots"/> &gt; 1 takes that many at once: a <c>$batch</c> whose steps each count against the limit.
    /// </summary>
    public async Task WaitForSlotAsync(Guid tenantId, string operation, double perSecond, CancellationToken cancellationToken, int slots = 1)
    {
        var baseInterval = 1000.0 / perSecond;
        for (var attempt = 0; ; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var now = clock.GetUtcNow();
            var pace = await db.GraphPaces.AsNoTracking().SingleOrDefaultAsync(p => p.TenantId == tenantId && p.Operation == operation, cancellationToken);
            if (pace is null)
            {
                db.GraphPaces.Add(new GraphPace { TenantId = tenantId, Operation = operation, NextSlotAt = now, IntervalMs = baseInterval });
                try
                {
                    await db.SaveChangesAsync(cancellationToken);
                }
                catch (DbUpdateException)
                {
                    // Another worker made the row first: take a slot from it.
                }

                continue;
            }

            var interval = pace.IntervalMs;
            if (interval > baseInterval && (pace.ThrottledAt is null || now - pace.ThrottledAt > Settle))
            {
                // Recover per slot taken, not per call: a $batch takes many slots in one call.
                interval = Math.Max(baseInterval, interval * Math.Pow(0.9, Math.Max(1, slots)));
            }

            interval = Math.Min(interval, baseInterval * 64);
            var slot = pace.NextSlotAt > now ? pace.NextSlotAt : now;
            var next = slot + TimeSpan.FromMilliseconds(interval * Math.Max(1, slots));
            var taken = await db.GraphPaces
                .Where(p => p.TenantId == tenantId && p.Operation == operation && p.NextSlotAt == pace.NextSlotAt)
                .ExecuteUpdateAsync(s => s.SetProperty(p => p.NextSlotAt, next).SetProperty(p => p.IntervalMs, interval), cancellationToken);
            if (taken == 1)
            {
                var wait = slot - clock.GetUtcNow();
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, clock, cancellationToken);
                }

                return;
            }

            // Another worker took that slot: try the next one, after a moment when it keeps happening.
            if (attempt > 3)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 5 + attempt)), clock, cancellationToken);
            }
        }
    }

    /// <summary>The longest <c>Retry-After</c> honoured (<c>Microsoft:MaxRetryAfter</c>).</summary>
    public TimeSpan MaxRetryAfter => microsoft.Value.MaxRetryAfter;

    /// <summary>Microsoft said 429: nobody calls again before <paramref name="retryAfter"/> passes, and the gap doubles.</summary>
    public async Task ThrottledAsync(Guid tenantId, string operation, TimeSpan retryAfter, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var resume = now + RetryAfterHeader.Capped(retryAfter, MaxRetryAfter)!.Value;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var pace = await db.GraphPaces.SingleOrDefaultAsync(p => p.TenantId == tenantId && p.Operation == operation, cancellationToken);
        if (pace is null)
        {
            return;
        }

        if (pace.ThrottledAt is null || now - pace.ThrottledAt > TimeSpan.FromSeconds(1))
        {
            // Several workers hear the same 429 burst: widen once per burst, not once per worker.
            pace.IntervalMs *= 2;
        }

        pace.ThrottledAt = now;
        pace.ThrottledCount++;
        if (pace.NextSlotAt < resume)
        {
            pace.NextSlotAt = resume;
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            // A worker took a slot meanwhile; the next 429 (if any) widens again.
        }
    }
}
