using System.Collections.Concurrent;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.MicrosoftCloud;

/// <summary>
/// Paces one kind of Graph call per tenant across every worker process, through the database:
/// each call takes the row's next slot (an optimistic update, so two workers never take the same
/// one), and is then spent when it is sent (<see cref="LocalSendSpacing"/>): a caller that wakes
/// late does not go together with the next one. A 429 holds everyone back until its
/// <c>Retry-After</c> has passed, as Microsoft asks, and leaves the gap as it was; only a 429 for a
/// call sent after an earlier one was heard (waiting was not enough: the pace is too fast) doubles
/// the gap, which narrows back to the configured rate once 429s stop, a tenth at a time. A
/// <c>Retry-After</c> longer than <c>Microsoft:MaxRetryAfter</c> counts as that long.
/// https://learn.microsoft.com/en-us/graph/throttling#best-practices-to-handle-throttling
/// (wait the seconds in Retry-After, then retry; exponential backoff only when it is missing)
/// </summary>
public sealed class TenantGraphPacer(IDbContextFactory<IncidentIoDbContext> dbFactory, IOptions<MicrosoftOptions> microsoft, TimeProvider clock)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(10);

    /// <summary>429s heard this close together without a send time are one burst: several workers, or steps of one batch, hear the same one.</summary>
    private static readonly TimeSpan Burst = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<(Guid TenantId, string Operation), LocalSendSpacing> local = new();

    /// <summary>
    /// Waits for this worker's slot for a call, and returns when it may be sent (now, by the caller's clock).
    /// <paramref name="perSecond"/> is the target rate for all workers together.
    /// <paramref name="slots"/> &gt; 1 takes that many at once: a <c>$batch</c> whose steps each count against the limit.
    /// </summary>
    public async Task<DateTimeOffset> WaitForSlotAsync(Guid tenantId, string operation, double perSecond, CancellationToken cancellationToken, int slots = 1)
    {
        var spacing = Local(tenantId, operation);
        var (slot, interval) = await TakeSlotAsync(tenantId, operation, perSecond, slots, cancellationToken);
        var wait = slot - clock.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, clock, cancellationToken);
        }

        // The slot was taken ahead of time; the call counts against Microsoft's limit when it arrives.
        var late = spacing.Spend(clock.GetUtcNow(), slots, interval);
        if (late > TimeSpan.Zero)
        {
            await Task.Delay(late, clock, cancellationToken);
        }

        return clock.GetUtcNow();
    }

    /// <summary>Sends this process held back for one kind of call: woken late behind another, or waiting out a 429.</summary>
    public long HeldBack(Guid tenantId, string operation) => Local(tenantId, operation).HeldBack;

    private LocalSendSpacing Local(Guid tenantId, string operation) => local.GetOrAdd((tenantId, operation), _ => new LocalSendSpacing());

    /// <summary>Takes the row's next slot (making the row if there is none); returns it and the gap it was taken with.</summary>
    private async Task<(DateTimeOffset Slot, double IntervalMs)> TakeSlotAsync(
        Guid tenantId, string operation, double perSecond, int slots, CancellationToken cancellationToken)
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
                return (slot, interval);
            }

            // Another caller took that slot: try the next one, after a moment when it keeps happening.
            if (attempt > 3)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 5 + attempt)), clock, cancellationToken);
            }
        }
    }

    /// <summary>The longest <c>Retry-After</c> honoured (<c>Microsoft:MaxRetryAfter</c>).</summary>
    public TimeSpan MaxRetryAfter => microsoft.Value.MaxRetryAfter;

    /// <summary>
    /// Microsoft said 429: nobody calls again before <paramref name="retryAfter"/> passes (in this
    /// process not even a call whose slot was taken already). The gap stays as it was unless this
    /// call was sent after an earlier 429 was heard, within the last few seconds: then waiting was not
    /// enough and the gap doubles. Without <paramref name="sentAt"/>, a 429 more than a second after the
    /// last one (a new burst) counts as that.
    /// </summary>
    public async Task ThrottledAsync(Guid tenantId, string operation, TimeSpan retryAfter, CancellationToken cancellationToken, DateTimeOffset? sentAt = null)
    {
        var now = clock.GetUtcNow();
        var resume = now + RetryAfterHeader.Capped(retryAfter, MaxRetryAfter)!.Value;
        Local(tenantId, operation).HoldUntil(resume);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var pace = await db.GraphPaces.SingleOrDefaultAsync(p => p.TenantId == tenantId && p.Operation == operation, cancellationToken);
        if (pace is null)
        {
            return;
        }

        if (pace.ThrottledAt is { } last && now - last <= Settle && (sentAt is { } sent ? sent > last : now - last > Burst))
        {
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
            // A worker took a slot meanwhile; the next 429 (if any) is counted again.
        }
    }
}
