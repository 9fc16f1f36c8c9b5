using System.Collections.Concurrent;

namespace IncidentIo.Domain.Changes;

/// <summary>
/// One change wakes every open page that follows it, and many of them show the same thing (an
/// organisation's counts, its setup progress, one person's installation). Inside a re-read that
/// <see cref="ChangeWatcher"/> started, pages of this process that ask for the same key share one
/// read. A page woken at time W takes only a read that began at or after W: a notification is sent
/// when its change commits, so such a read began after the commit and shows it. Outside a
/// watcher's re-read (a page opening, a click, an action's access check) every call reads on its own.
/// Results go to several circuits at once, so they must be immutable.
/// </summary>
public sealed class SharedReads(TimeProvider clock)
{
    /// <summary>
    /// A finished read is kept this long for pages woken with it that are still waiting for their
    /// turn (<see cref="ChangeOptions.MaxConcurrentRereads"/>); then it is dropped, once more than
    /// <see cref="FewReads"/> are kept, so results do not pile up.
    /// </summary>
    private static readonly TimeSpan KeepFor = TimeSpan.FromSeconds(10);

    private const int FewReads = 64;

    private static readonly AsyncLocal<long?> WokenAt = new();

    private readonly ConcurrentDictionary<string, SharedRead> reads = new(StringComparer.Ordinal);
    private long started;
    private long joined;

    /// <summary>Reads run so far (for tests and measurements).</summary>
    public long Started => Interlocked.Read(ref started);

    /// <summary>Reads answered from a read another page started (for tests and measurements).</summary>
    public long Joined => Interlocked.Read(ref joined);

    /// <summary>Reads kept now, finished or not.</summary>
    internal int Kept => reads.Count;

    /// <summary>Runs <paramref name="reread"/> as a re-read woken at <paramref name="wokenAt"/> (a <see cref="TimeProvider.GetTimestamp"/>).</summary>
    internal static async Task RunWokenAtAsync(long wokenAt, Func<CancellationToken, Task> reread, CancellationToken cancellationToken)
    {
        WokenAt.Value = wokenAt;
        try
        {
            await reread(cancellationToken);
        }
        finally
        {
            WokenAt.Value = null;
        }
    }

    /// <summary>
    /// <paramref name="read"/>'s result, or that of an equal read (same <paramref name="key"/>) another
    /// page began since this one was woken. The key must name everything the result depends on; who
    /// may see it is checked by the caller, per page, before asking.
    /// </summary>
    public async Task<T> ReadAsync<T>(string key, Func<CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        if (WokenAt.Value is not { } wokenAt)
        {
            return await read(cancellationToken);
        }

        while (true)
        {
            if (reads.TryGetValue(key, out var current) && current.StartedAt >= wokenAt && current.Result is Task<T> result && !result.IsFaulted && !result.IsCanceled)
            {
                Interlocked.Increment(ref joined);
                return await result.WaitAsync(cancellationToken);
            }

            var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            var mine = new SharedRead(clock.GetTimestamp(), completion.Task);
            var registered = current is null ? reads.TryAdd(key, mine) : reads.TryUpdate(key, mine, current);
            if (!registered)
            {
                // Another page registered its read first: look again.
                continue;
            }

            Interlocked.Increment(ref started);
            DropOldReads();
            _ = CompleteAsync(key, mine, completion, read);
            return await completion.Task.WaitAsync(cancellationToken);
        }
    }

    private async Task CompleteAsync<T>(string key, SharedRead mine, TaskCompletionSource<T> completion, Func<CancellationToken, Task<T>> read)
    {
        try
        {
            // Not the starting page's token: other pages wait for the result even if that one closes.
            completion.SetResult(await read(CancellationToken.None));
        }
        catch (Exception e)
        {
            // Nobody joins a failed read later; those already waiting see the failure and retry.
            reads.TryRemove(new KeyValuePair<string, SharedRead>(key, mine));
            completion.SetException(e);
        }
    }

    private void DropOldReads()
    {
        if (reads.Count <= FewReads)
        {
            return;
        }

        foreach (var entry in reads)
        {
            if (entry.Value.Result.IsCompleted && clock.GetElapsedTime(entry.Value.StartedAt) > KeepFor)
            {
                reads.TryRemove(entry);
            }
        }
    }

    private sealed record SharedRead(long StartedAt, Task Result);
}
