using IncidentIo.Domain.Changes;

namespace IncidentIo.Domain.Tests.Changes;

/// <summary>Pages woken by one change share equal reads, and never take a read that began before they were woken.</summary>
public sealed class SharedReadsTests
{
    private readonly ManualClock clock = new();

    [Fact]
    public async Task Pages_woken_by_one_change_share_one_read_of_the_same_key()
    {
        var shared = new SharedReads(clock);
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var reads = 0;
        Task<int> Read(CancellationToken _)
        {
            Interlocked.Increment(ref reads);
            return release.Task;
        }

        clock.Now = 100;
        var pages = Enumerable.Range(0, 5).Select(_ => WokenAsync(100, ct => shared.ReadAsync("counts:contoso", Read, ct))).ToList();
        var other = WokenAsync(100, ct => shared.ReadAsync("counts:fabrikam", _ => Task.FromResult(7), ct));
        release.SetResult(42);

        Assert.All(await Task.WhenAll(pages), r => Assert.Equal(42, r));
        Assert.Equal(7, await other);
        Assert.Equal(1, reads);
        Assert.Equal(2, shared.Started);
        Assert.Equal(4, shared.Joined);
    }

    [Fact]
    public async Task A_read_that_began_before_a_page_was_woken_is_not_taken_by_it()
    {
        var shared = new SharedReads(clock);
        var reads = 0;
        Task<int> Read(CancellationToken _) => Task.FromResult(Interlocked.Increment(ref reads));

        clock.Now = 100;
        Assert.Equal(1, await WokenAsync(100, ct => shared.ReadAsync("person:1", Read, ct)));
        // Woken by a later change: the read above may not show it.
        clock.Now = 200;
        Assert.Equal(2, await WokenAsync(150, ct => shared.ReadAsync("person:1", Read, ct)));
        // Woken by the same change as that second read, a little later: it is still good.
        Assert.Equal(2, await WokenAsync(200, ct => shared.ReadAsync("person:1", Read, ct)));
        Assert.Equal(2, reads);
    }

    [Fact]
    public async Task Outside_a_watchers_reread_every_call_reads()
    {
        var shared = new SharedReads(clock);
        var reads = 0;
        Task<int> Read(CancellationToken _) => Task.FromResult(Interlocked.Increment(ref reads));

        Assert.Equal(1, await shared.ReadAsync("counts:contoso", Read, CancellationToken.None));
        Assert.Equal(2, await shared.ReadAsync("counts:contoso", Read, CancellationToken.None));
        Assert.Equal(0, shared.Started);
    }

    [Fact]
    public async Task A_failed_read_reaches_its_waiting_pages_and_is_not_joined_afterwards()
    {
        var shared = new SharedReads(clock);
        var fail = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        clock.Now = 100;
        var first = WokenAsync(100, ct => shared.ReadAsync("setup:contoso", _ => fail.Task, ct));
        var joiner = WokenAsync(100, ct => shared.ReadAsync("setup:contoso", _ => Task.FromResult(0), ct));
        fail.SetException(new InvalidOperationException("the database is away"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => first);
        await Assert.ThrowsAsync<InvalidOperationException>(() => joiner);
        Assert.Equal(5, await WokenAsync(100, ct => shared.ReadAsync("setup:contoso", _ => Task.FromResult(5), ct)));
        Assert.Equal(2, shared.Started);
    }

    [Fact]
    public async Task A_page_closing_does_not_cancel_the_read_others_wait_for()
    {
        var shared = new SharedReads(clock);
        var release = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        CancellationToken seen = default;
        Task<int> Read(CancellationToken ct)
        {
            seen = ct;
            return release.Task;
        }

        clock.Now = 100;
        using var closing = new CancellationTokenSource();
        var starter = WokenAsync(100, ct => shared.ReadAsync("incidents:contoso", Read, closing.Token));
        var other = WokenAsync(100, ct => shared.ReadAsync("incidents:contoso", Read, ct));
        await closing.CancelAsync();
        release.SetResult(3);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => starter);
        Assert.Equal(3, await other);
        Assert.False(seen.CanBeCanceled);
    }

    [Fact]
    public async Task Finished_reads_are_dropped_once_they_are_old_and_many()
    {
        var shared = new SharedReads(clock);
        for (var i = 0; i < 100; i++)
        {
            await WokenAsync(0, ct => shared.ReadAsync($"person:{i}", _ => Task.FromResult(i), ct));
        }

        Assert.Equal(100, shared.Kept);
        clock.Now = clock.TimestampFrequency * 11;
        await WokenAsync(clock.Now, ct => shared.ReadAsync("person:new", _ => Task.FromResult(0), ct));
        Assert.Equal(1, shared.Kept);
    }

    private static async Task<T> WokenAsync<T>(long wokenAt, Func<CancellationToken, Task<T>> read)
    {
        T result = default!;
        await SharedReads.RunWokenAtAsync(wokenAt, async ct => result = await read(ct), CancellationToken.None);
        return result;
    }

    private sealed class ManualClock : TimeProvider
    {
        public long Now { get; set; }

        public override long GetTimestamp() => Now;
    }
}
