using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Changes;

/// <summary>
/// The loop behind every live page: wait until a followed change arrives, or the safety interval
/// passes, or the page closes; let a burst settle; read again. A re-read that fails (the database is
/// away) is logged once, retried with a doubling delay, and its recovery logged: the page keeps following.
/// Re-reads take turns (<see cref="ChangeOptions.MaxConcurrentRereads"/> at once), so a change seen
/// by many pages does not empty the connection pool; equal reads are shared (<see cref="SharedReads"/>).
/// </summary>
public sealed partial class ChangeWatcher(ChangeFeed feed, IOptions<ChangeOptions> options, TimeProvider clock, ILogger<ChangeWatcher> logger) : IDisposable
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(500);

    private readonly SemaphoreSlim rereadTurns = new(options.Value.MaxConcurrentRereads, options.Value.MaxConcurrentRereads);

    public ChangeSubscription Subscribe(Guid? organizationId, params ChangeTopic[] topics) => feed.Subscribe(organizationId, topics);

    /// <summary>Runs until <paramref name="stopping"/> is cancelled; never throws.</summary>
    /// <param name="what">Names the page in the log.</param>
    public async Task WatchAsync(ChangeSubscription subscription, string what, Func<CancellationToken, Task> reread, CancellationToken stopping)
    {
        var settings = options.Value;
        var retryDelay = FirstRetryDelay;
        var failing = false;
        try
        {
            while (true)
            {
                long wokenAt;
                using (var wait = CancellationTokenSource.CreateLinkedTokenSource(stopping))
                {
                    var notified = subscription.WaitAsync(wait.Token);
                    var safety = Task.Delay(settings.SafetyInterval, clock, wait.Token);
                    var first = await Task.WhenAny(notified, safety);
                    wokenAt = clock.GetTimestamp();
                    await wait.CancelAsync();
                    stopping.ThrowIfCancellationRequested();
                    if (first == notified && settings.CoalesceWindow > TimeSpan.Zero)
                    {
                        await Task.Delay(settings.CoalesceWindow, clock, stopping);
                    }

                    // Ignore the other task's cancellation.
                    _ = notified.ContinueWith(static t => t.Exception, TaskScheduler.Default);
                    _ = safety.ContinueWith(static t => t.Exception, TaskScheduler.Default);
                }

                subscription.Clear();
                try
                {
                    await rereadTurns.WaitAsync(stopping);
                    try
                    {
                        // Pages woken by the same change share their equal reads (SharedReads).
                        await SharedReads.RunWokenAtAsync(wokenAt, reread, stopping);
                    }
                    finally
                    {
                        rereadTurns.Release();
                    }

                    if (failing)
                    {
                        failing = false;
                        retryDelay = FirstRetryDelay;
                        LogRecovered(what);
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
                {
                    if (!failing)
                    {
                        failing = true;
                        LogFailing(e, what);
                    }

                    await Task.Delay(retryDelay, clock, stopping);
                    retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, settings.MaxRetryDelay.Ticks));
                    // Read again straight after the pause, without waiting for a change.
                    subscription.Signal();
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The page was closed.
        }
    }

    public void Dispose() => rereadTurns.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "{What} could not read its data again; it keeps trying with a growing pause")]
    private partial void LogFailing(Exception exception, string what);

    [LoggerMessage(Level = LogLevel.Information, Message = "{What} reads its data again")]
    private partial void LogRecovered(string what);
}
