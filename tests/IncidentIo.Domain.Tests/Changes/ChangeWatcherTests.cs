using System.Collections.Concurrent;
using System.Data.Common;
using IncidentIo.Domain.Changes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Tests.Changes;

/// <summary>The loop behind live pages: reads on a change (a burst is one read), on the safety interval, and survives a failing database.</summary>
public sealed class ChangeWatcherTests
{
    private static readonly Guid Contoso = Guid.NewGuid();
    private static readonly Guid Fabrikam = Guid.NewGuid();

    private readonly ChangeFeed feed = new();
    private readonly RecordingLogger<ChangeWatcher> log = new();

    [Fact]
    public async Task A_burst_of_changes_is_one_reread_and_other_organisations_changes_none()
    {
        var watcher = Watcher(safety: TimeSpan.FromHours(1), coalesce: TimeSpan.FromMilliseconds(300));
        using var subscription = watcher.Subscribe(Contoso, ChangeTopic.Incidents);
        using var stop = new CancellationTokenSource();
        var reads = 0;
        var watching = watcher.WatchAsync(subscription, "test", _ => { Interlocked.Increment(ref reads); return Task.CompletedTask; }, stop.Token);

        feed.Deliver(DataChange.Of(ChangeTopic.Incidents, Fabrikam));
        feed.Deliver(DataChange.Of(ChangeTopic.SweepRuns, Contoso));
        for (var i = 0; i < 10; i++)
        {
            feed.Deliver(DataChange.Of(ChangeTopic.Incidents, Contoso));
        }

        await Until(() => Volatile.Read(ref reads) == 1);
        // A change after the read is another read.
        feed.Deliver(DataChange.Everywhere(ChangeTopic.Incidents));
        await Until(() => Volatile.Read(ref reads) == 2);
        await stop.CancelAsync();
        await watching;
        Assert.Equal(2, reads);
    }

    [Fact]
    public async Task Without_any_change_the_safety_interval_reads_again()
    {
        var watcher = Watcher(safety: TimeSpan.FromSeconds(1), coalesce: TimeSpan.Zero);
        using var subscription = watcher.Subscribe(Contoso, ChangeTopic.People);
        using var stop = new CancellationTokenSource();
        var reads = 0;
        var watching = watcher.WatchAsync(subscription, "test", _ => { Interlocked.Increment(ref reads); return Task.CompletedTask; }, stop.Token);

        await Until(() => Volatile.Read(ref reads) >= 2);
        await stop.CancelAsync();
        await watching;
        Assert.Empty(log.Entries);
    }

    [Fact]
    public async Task A_reread_failing_on_the_database_is_logged_once_retried_and_recovers()
    {
        var watcher = Watcher(safety: TimeSpan.FromHours(1), coalesce: TimeSpan.Zero);
        using var subscription = watcher.Subscribe(Contoso, ChangeTopic.Setup);
        using var stop = new CancellationTokenSource();
        var attempts = 0;
        var watching = watcher.WatchAsync(subscription, "The setup page", _ =>
            Interlocked.Increment(ref attempts) <= 3 ? throw new DatabaseAway() : Task.CompletedTask, stop.Token);

        feed.Deliver(DataChange.Of(ChangeTopic.Setup, Contoso));

        await Until(() => log.Entries.Any(e => e.Level == LogLevel.Information), TimeSpan.FromSeconds(30));
        await stop.CancelAsync();
        await watching;
        Assert.Equal(4, attempts);
        var warning = Assert.Single(log.Entries, e => e.Level == LogLevel.Warning);
        Assert.IsType<DatabaseAway>(warning.Exception);
        Assert.Contains("The setup page", warning.Message, StringComparison.Ordinal);
        Assert.Single(log.Entries, e => e.Level == LogLevel.Information && e.Message.Contains("reads its data again", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Closing_the_page_ends_the_watch_and_its_subscription_hears_nothing_more()
    {
        var watcher = Watcher(safety: TimeSpan.FromHours(1), coalesce: TimeSpan.Zero);
        var subscription = watcher.Subscribe(Contoso, ChangeTopic.Incidents);
        using var stop = new CancellationTokenSource();
        var watching = watcher.WatchAsync(subscription, "test", _ => Task.CompletedTask, stop.Token);
        Assert.Equal(1, feed.SubscriberCount);

        await stop.CancelAsync();
        await watching;
        subscription.Dispose();

        Assert.Equal(0, feed.SubscriberCount);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Incidents")]
    [InlineData("Incidents:")]
    [InlineData("Nothing:*")]
    [InlineData("Incidents:not-a-guid")]
    [InlineData("7:*")]
    public void A_payload_that_is_not_ours_is_refused(string payload) => Assert.False(DataChange.TryParse(payload, out _));

    [Fact]
    public void Payloads_round_trip()
    {
        foreach (var change in new[] { DataChange.Of(ChangeTopic.SweepRuns, Contoso), DataChange.Everywhere(ChangeTopic.System) })
        {
            Assert.True(DataChange.TryParse(change.ToPayload(), out var parsed));
            Assert.Equal(change, parsed);
        }
    }

    [Theory]
    [InlineData("00:00:00.500", "00:00:00.050")]
    [InlineData("02:00:00", "00:00:00.050")]
    [InlineData("00:00:30", "-00:00:01")]
    [InlineData("00:00:30", "00:00:10")]
    public void Out_of_range_settings_are_refused(string safety, string coalesce)
    {
        var result = new ChangeOptionsValidator().Validate(null, new ChangeOptions { SafetyInterval = TimeSpan.Parse(safety, System.Globalization.CultureInfo.InvariantCulture), CoalesceWindow = TimeSpan.Parse(coalesce, System.Globalization.CultureInfo.InvariantCulture) });
        Assert.True(result.Failed);
        Assert.Contains("Changes:", result.FailureMessage, StringComparison.Ordinal);
    }

    private ChangeWatcher Watcher(TimeSpan safety, TimeSpan coalesce) =>
        new(feed, Options.Create(new ChangeOptions { SafetyInterval = safety, CoalesceWindow = coalesce, MaxRetryDelay = TimeSpan.FromSeconds(1) }), TimeProvider.System, log);

    private static async Task Until(Func<bool> condition, TimeSpan? limit = null)
    {
        var until = DateTimeOffset.UtcNow + (limit ?? TimeSpan.FromSeconds(15));
        while (!condition())
        {
            Assert.True(DateTimeOffset.UtcNow < until, "The condition did not come true in time.");
            await Task.Delay(10);
        }
    }

    private sealed class DatabaseAway : DbException
    {
        public DatabaseAway()
            : base("The database is away.")
        {
        }
    }
}

/// <summary>Keeps what was logged, for tests of what a component says.</summary>
public sealed class RecordingLogger<T> : ILogger<T>
{
    public ConcurrentQueue<(LogLevel Level, string Message, Exception? Exception)> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Entries.Enqueue((logLevel, formatter(state, exception), exception));
}
