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
/// The pages are the four kinds the console has, a quarter each: the support list, setup's progress
/// and the incidents list (the same for everyone in the organisation) and person pages (each a
/// different person), on both Portals. Pages of one Portal that show the same thing share their read
/// (<see cref="SharedReads"/>); the same pages each reading alone are measured too, for comparison.
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
        var pages = new OpenPages(subscribers, organization, portalA, portalB, worker);

        var shared = await pages.MeasureAsync(rounds, share: true, idleWindow: TimeSpan.FromSeconds(5));
        var alone = await pages.MeasureAsync(rounds, share: false, idleWindow: TimeSpan.Zero);
        var reads = portalA.SharedReads.Started + portalB.SharedReads.Started;
        var joined = portalA.SharedReads.Joined + portalB.SharedReads.Joined;

        Assert.Equal(0, shared.IdleCommands);
        var views = 3 + Enumerable.Range(0, subscribers).Count(i => i / 2 % 4 == 3);
        var report = string.Join('\n',
            $"Change notifications on PostgreSQL: {subscribers} open pages across 2 Portal hosts ({views} different views: support list, setup, incidents, person pages), changes committed by a worker host, {rounds} changes measured after a first one:",
            $"  idle: {shared.IdleCommands} commands in {shared.IdleSeconds:F1} s = {shared.IdleCommands / shared.IdleSeconds:F2} queries/s (bound 0 apart from the safety re-read, every {new ChangeOptions().SafetyInterval.TotalSeconds:F0} s per page)",
            $"  was (polling every 2 s, 3.3 transactions per idle page per second): about {subscribers * 3.3:F0} transactions/s for {subscribers} pages",
            $"  pages sharing equal reads: {reads} reads run and {joined} shared in {rounds + 1} changes, {(double)reads / (rounds + 1):F0} per change for {subscribers} pages",
            shared.Describe("pages sharing equal reads", LimitMs),
            alone.Describe("every page reading alone", LimitMs),
            $"  machine load average while measured: {Measurements.LoadAverage()}",
            $"  limit: {LimitMs:F0} ms; reads per page per change: exactly 1");
        output.WriteLine(report);
        Measurements.Record("change-notifications-postgres", report);
        var size = $"{subscribers} pages, 2 Portals";
        Measurements.Figure("open pages idle: queries per second", shared.IdleCommands / shared.IdleSeconds, "queries/s", 0, size: size);
        Measurements.Figure("a change shown on every open page, p95", Measurements.Percentile(shared.UntilAll, 0.95), "ms", LimitMs, size: size);
    }

    /// <summary>The open pages, each a subscriber with its read; measured one change at a time.</summary>
    private sealed class OpenPages(int count, Guid organization, ChangeHost portalA, ChangeHost portalB, ChangeHost worker)
    {
        public async Task<Round> MeasureAsync(int rounds, bool share, TimeSpan idleWindow)
        {
            using var stop = new CancellationTokenSource();
            var reads = new int[count];
            var lastReadAt = new long[count];
            var lastWokenAt = new long[count];
            var watches = new List<Task>();
            var subscriptions = new List<ChangeSubscription>();
            for (var i = 0; i < count; i++)
            {
                var index = i;
                var host = i % 2 == 0 ? portalA : portalB;
                var view = (i / 2 % 4) switch
                {
                    0 => $"support-list:{organization}",
                    1 => $"setup:{organization}",
                    2 => $"incidents:{organization}",
                    _ => $"person:{i}",
                };
                var subscription = host.Watcher.Subscribe(organization, ChangeTopic.SweepRuns);
                subscriptions.Add(subscription);
                watches.Add(host.Watcher.WatchAsync(subscription, "benchmark page", async ct =>
                {
                    Volatile.Write(ref lastWokenAt[index], Stopwatch.GetTimestamp());
                    if (share)
                    {
                        await host.SharedReads.ReadAsync(view, read => ReadAsync(host, read), ct);
                    }
                    else
                    {
                        await ReadAsync(host, ct);
                    }

                    Volatile.Write(ref lastReadAt[index], Stopwatch.GetTimestamp());
                    Interlocked.Increment(ref reads[index]);
                }, stop.Token));
            }

            var commandsBefore = portalA.Commands.Count + portalB.Commands.Count;
            var idle = Stopwatch.StartNew();
            await Task.Delay(idleWindow);
            var result = new Round(portalA.Commands.Count + portalB.Commands.Count - commandsBefore, idle.Elapsed.TotalSeconds);

            // Change 0 is the first these pages see: it opens the pool's connections and compiles the
            // read, once per process. It is reported on its own, not mixed into the p95 of the rest.
            for (var round = 0; round <= rounds; round++)
            {
                var committedAt = Stopwatch.GetTimestamp();
                await PostgresChangeNotificationTests.AddSweepRunAsync(worker, organization);
                var expected = round + 1;
                await Eventually.TrueAsync(() => Enumerable.Range(0, count).All(i => Volatile.Read(ref reads[i]) >= expected), $"all {count} pages read again after change {round}");
                var latencies = lastReadAt.Select(t => Stopwatch.GetElapsedTime(committedAt, t).TotalMilliseconds).ToList();
                if (round == 0)
                {
                    result.FirstChangeMs = latencies.Max();
                    continue;
                }

                result.Each.AddRange(latencies);
                result.Woken.AddRange(lastWokenAt.Select(t => Stopwatch.GetElapsedTime(committedAt, t).TotalMilliseconds));
                result.UntilAll.Add(latencies.Max());
            }

            await stop.CancelAsync();
            await Task.WhenAll(watches);
            subscriptions.ForEach(s => s.Dispose());
            // Exactly one read per page per change: no duplicates, none missed.
            Assert.All(reads, r => Assert.Equal(rounds + 1, r));
            return result;
        }

        private async Task<int> ReadAsync(ChangeHost host, CancellationToken cancellationToken)
        {
            await using var db = host.NewContext();
            return await db.SweepRuns.AsNoTracking().CountAsync(r => r.OrganizationId == organization, cancellationToken);
        }
    }

    private sealed record Round(long IdleCommands, double IdleSeconds)
    {
        public List<double> UntilAll { get; } = [];

        public List<double> Each { get; } = [];

        public List<double> Woken { get; } = [];

        public double FirstChangeMs { get; set; }

        public string Describe(string how, double limit) => string.Join('\n',
            $"  {how}: first change after the pages opened (pool connections opened, read compiled): every page read again after {FirstChangeMs:F0} ms",
            $"  {how}: commit to every page read again: median {Measurements.Percentile(UntilAll, 0.5):F0} ms, p95 {Measurements.Percentile(UntilAll, 0.95):F0} ms, max {UntilAll.Max():F0} ms; p95/limit = {Measurements.Percentile(UntilAll, 0.95) / limit:F3}",
            $"    commit to one page read again: median {Measurements.Percentile(Each, 0.5):F0} ms, p95 {Measurements.Percentile(Each, 0.95):F0} ms",
            $"    commit to one page woken (notification carried, {new ChangeOptions().CoalesceWindow.TotalMilliseconds:F0} ms coalescing window included, before its query): median {Measurements.Percentile(Woken, 0.5):F0} ms, p95 {Measurements.Percentile(Woken, 0.95):F0} ms");
    }
}
