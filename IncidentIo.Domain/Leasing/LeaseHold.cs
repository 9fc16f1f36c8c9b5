using Microsoft.EntityFrameworkCore.Query;

namespace IncidentIo.Domain.Leasing;

/// <summary>
/// A row this worker holds: renewed every third of the lease beside the work. <see cref="Token"/>
/// fires when the lease is lost — a renewal finds the row no longer this worker's (another took it
/// over), or the lease runs out before a renewal got through (the database did not answer, the
/// process stalled) — so the work stops rather than race the new holder. Disposing releases it.
/// </summary>
public sealed class LeaseHold<TRow> : IAsyncDisposable where TRow : class
{
    private readonly RowLease<TRow> lease;
    private readonly Func<IQueryable<TRow>, IQueryable<TRow>> mine;
    private readonly CancellationTokenSource lost;
    private readonly CancellationTokenSource work;
    private readonly CancellationTokenSource stopRenewing = new();
    private readonly Task renewing;
    private bool released;

    internal LeaseHold(RowLease<TRow> lease, Func<IQueryable<TRow>, IQueryable<TRow>> mine, string? owner, DateTimeOffset heldUntil, CancellationToken cancellationToken)
    {
        this.lease = lease;
        this.mine = mine;
        Owner = owner;
        // Fires by itself when the lease runs out; every renewal that gets through moves it on.
        lost = new CancellationTokenSource(Left(heldUntil), lease.Clock);
        work = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lost.Token);
        renewing = RenewAsync();
    }

    /// <summary>The owner written into the row, or null for a row held by its own state (<see cref="RowLease{TRow}.Hold"/>).</summary>
    public string? Owner { get; }

    /// <summary>Cancelled when the lease is lost or the caller's token is; pass it to the work.</summary>
    public CancellationToken Token => work.Token;

    /// <summary>Whether the lease was lost (not merely the caller stopping).</summary>
    public bool IsLost => lost.IsCancellationRequested;

    /// <summary>
    /// Stops renewing and gives the row back, writing <paramref name="alsoSet"/> in the same UPDATE
    /// (the outcome of the work), only while the row is still this worker's.
    /// </summary>
    /// <returns>False when the lease had already been lost: nothing was written.</returns>
    public async Task<bool> ReleaseAsync(Action<UpdateSettersBuilder<TRow>>? alsoSet = null)
    {
        await StopRenewingAsync();
        if (released)
        {
            return false;
        }

        released = true;
        return await lease.ReleaseAsync(mine, alsoSet);
    }

    /// <summary>Stops renewing without giving the row back: the work writes its own end (the lease runs out if it does not).</summary>
    public async Task StopRenewingAsync()
    {
        if (!stopRenewing.IsCancellationRequested)
        {
            await stopRenewing.CancelAsync();
        }

        await renewing;
    }

    public async ValueTask DisposeAsync()
    {
        await ReleaseAsync();
        work.Dispose();
        lost.Dispose();
        stopRenewing.Dispose();
    }

    private async Task RenewAsync()
    {
        var stop = stopRenewing.Token;
        var tick = Task.Delay(lease.Duration / 3, lease.Clock, stop);
        while (true)
        {
            try
            {
                await tick;
                // The next third counts from this one, however long the database takes to answer.
                tick = Task.Delay(lease.Duration / 3, lease.Clock, stop);
                if (lost.IsCancellationRequested)
                {
                    return;
                }

                // A renewal still on its way when the lease runs out is called off: written late, it
                // would hold the row for a holder that has already stopped its work.
                using var renewal = CancellationTokenSource.CreateLinkedTokenSource(stop, lost.Token);
                if (await lease.RenewAsync(mine, renewal.Token) is not { } heldUntil)
                {
                    await lost.CancelAsync();
                    return;
                }

                lost.CancelAfter(Left(heldUntil));
            }
            catch (Exception) when (stop.IsCancellationRequested || lost.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                // The database did not answer: try again at the next third; the lease's own timer
                // cancels the work if no renewal gets through before it runs out.
            }
        }
    }

    private TimeSpan Left(DateTimeOffset heldUntil)
    {
        var left = heldUntil - lease.Clock.GetUtcNow();
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }
}
