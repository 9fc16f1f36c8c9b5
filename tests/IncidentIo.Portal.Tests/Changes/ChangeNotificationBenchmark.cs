using System.Diagnostics;
using IncidentIo.Domain.Changes;
using IncidentIo.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace IncidentIo.Portal.Tests.Changes;

/// <summary>
/// Open pages on PostgreSQL: N subscribers across two Portal hosts, changes committed by a third
/// (worker) host. Idle: commands sent per second (the safety re-read is an hour away here, so any
/// command is polling). A change: time until every subscriber of the organisation has read again.
/// Scale: <c>BENCH_CHANGES_SUBSCRIBERS</c> (quick 100, full 500, the size the bound is stated at),
/// <c>BENCH_CHANGES_ROUNDS</c> (quick 10, full 20).
/// </summary>
[Trait("Category", "Benchmark")]
public sealed class ChangeNotificationBenchmark(ITestOutputHelper output)
{
    private const double LimitMs = 300;

    [Fact]
    public async Task Idle_subscribers_send_nothing_and_a_change_reaches_all_of_them_quickly()
    {
        var subscribers = BenchmarkScale.Pick(100, 500, "BENCH_CHANGES_SUBSCRIBERS");
        var rounds = BenchmarkScale.Pick(10, 20, "BENCH_CHANGES_ROUNDS");
        var cluster = await PostgresCluster.GetAsync();
        // Npgsql's default pool (100), as a Portal has it, not the 20 the test databases are given.
        var database = (await cluster.CreateDatabaseAsync("changesbench")).Replace("Maximum Pool Size=20", "Maximum Pool Size=100", StringComparison.Ordinal);
        await using var worker = await ChangeHost.StartAsync("worker", database, TimeSpan.FromHours(1));
        await using var portalA = await ChangeHost.StartAsync("portal", database, TimeSpan.FromHours(1));
        await using var portalB = await ChangeHost.StartAsync("portal", database, TimeSpan.FromHours(1));
        var organization = await PostgresChangeNotificationTests.NewOrganizationAsync(worker);

        using var stop = new CancellationTokenSource();
        var reads = new int[subscribers];
        var lastReadAt = new long[subscribers];
        var lastWokenAt = new long[subscribers];
        var watches = new List<Task>();
        var subscriptions = new List<ChangeSubscription>();
        for (var i = 0; i < subscribers; i++)
        {
            var index = i;
            var host = i % 2 == 0 ? portalA : portalB;
            var subscription = host.Watcher.Subscribe(organization, ChangeTopic.SweepRuns);
            subscriptions.Add(subscription);
            watches.Add(host.Watcher.WatchAsync(subscription, "benchmark page", async ct =>
            {
                Volatile.Write(ref lastWokenAt[index], Stopwatch.GetTimestamp());
                await using var db = host.NewContext();
                await db.SweepRuns.AsNoTracking().CountAsync(r => r.OrganizationId == organization, ct);
                Volatile.Write(ref lastReadAt[index], Stopwatch.GetTimestamp());
                Interlocked.Increment(ref reads[index]);
            }, stop.Token));
        }

        // Idle.
        var idleWindow = TimeSpan.FromSeconds(5);
        var commandsBefore = portalA.Commands.Count + portalB.Commands.Count;
        var idle = Stopwatch.StartNew();
        await Task.Delay(idleWindow);
        var idleCommands = portalA.Commands.Count + portalB.Commands.Count - commandsBefore;
        var idleSeconds = idle.Elapsed.TotalSeconds;

        // Changes, one at a time.
        var untilAll = new List<double>();
        var each = new List<double>();
        var woken = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            var committedAt = Stopwatch.GetTimestamp();
            await PostgresChangeNotificationTests.AddSweepRunAsync(worker, organization);
            var expected = round;
            await Eventually.TrueAsync(() => Enumerable.Range(0, subscribers).All(i => Volatile.Read(ref reads[i]) >= expected), $"all {subscribers} subscribers read again after change {round}");
            var latencies = lastReadAt.Select(t => Stopwatch.GetElapsedTime(committedAt, t).TotalMilliseconds).ToList();
            each.AddRange(latencies);
            woken.AddRange(lastWokenAt.Select(t => Stopwatch.GetElapsedTime(committedAt, t).TotalMilliseconds));
            untilAll.Add(latencies.Max());
        }

        await stop.CancelAsync();
        await Task.WhenAll(watches);
        subscriptions.ForEach(s => s.Dispose());

        Assert.Equal(0, idleCommands);
        // Exactly one read per subscriber per change: no duplicates, none missed.
        Assert.All(reads, r => Assert.Equal(rounds, r));
        var report = string.Join('\n',
            $"Change notifications on PostgreSQL: {subscribers} subscribers across 2 Portal hosts, changes committed by a worker host, {rounds} changes:",
            $"  idle: {idleCommands} commands in {idleSeconds:F1} s = {idleCommands / idleSeconds:F2} queries/s (bound 0 apart from the safety re-read, every {new ChangeOptions().SafetyInterval.TotalSeconds:F0} s per page)",
            $"  was (polling every 2 s, 3.3 transactions per idle page per second): about {subscribers * 3.3:F0} transactions/s for {subscribers} pages",
            $"  commit to every subscriber read again: median {Percentile(untilAll, 0.5):F0} ms, p95 {Percentile(untilAll, 0.95):F0} ms, max {untilAll.Max():F0} ms; p95/limit = {Percentile(untilAll, 0.95) / LimitMs:F3}",
            $"  commit to one subscriber read again: median {Percentile(each, 0.5):F0} ms, p95 {Percentile(each, 0.95):F0} ms",
            $"  commit to one subscriber woken (notification carried, {new ChangeOptions().CoalesceWindow.TotalMilliseconds:F0} ms coalescing window included, before its query): median {Percentile(woken, 0.5):F0} ms, p95 {Percentile(woken, 0.95):F0} ms",
            $"  machine load average while measured: {LoadAverage()}",
            $"  limit: {LimitMs:F0} ms; reads per subscriber per change: exactly 1");
        output.WriteLine(report);
        Measurements.Record("change-notifications-postgres", report);
        var size = $"{subscribers} pages, 2 Portals";
        Measurements.Figure("open pages idle: queries per second", idleCommands / idleSeconds, "queries/s", 0, size: size);
        Measurements.Figure("a change shown on every open page, p95", Percentile(untilAll, 0.95), "ms", LimitMs, size: size);
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) + $" on {Environment.ProcessorCount} cores" : "unknown";

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Ceiling(p * sorted.Count) - 1];
    }
}
