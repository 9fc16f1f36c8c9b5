using System.Diagnostics;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.Reachability;
using IncidentIo.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace IncidentIo.Domain.Tests.Reachability;

/// <summary>
/// "Install for everyone" in a generated tenant, with the Sandbox enforcing Microsoft's published
/// Teams limits (POST installedApps: 30 per second per app per tenant) and two workers sharing the
/// tenant's pace through PostgreSQL. Prints the achieved install rate against that limit.
/// Users (<see cref="BenchmarkScale"/>): quick 2,000, full 10,000; <c>BENCH_BULK_USERS</c> sets either.
/// Table rows: share of the 30/s limit achieved (at least 0.9) and 429s (none).
/// </summary>
[Trait("Category", "Benchmark")]
public sealed class BulkInstallBenchmark(ITestOutputHelper output)
{
    private const double PublishedInstallsPerSecond = 30;

    [Fact]
    public async Task Install_for_everyone_runs_close_to_the_published_limit_without_tripping_it()
    {
        var users = BenchmarkScale.Pick(2_000, 10_000, "BENCH_BULK_USERS");
        await using var harness = await ReachabilityHarness.StartAsync(DatabaseOptions.Postgres, throttle: true, generatedUsers: users,
            settings: new Dictionary<string, string?> { ["AppInstallation:BulkConcurrency"] = "16" });
        await using var secondWorker = harness.BuildServices();
        int total;
        await using (var db = await harness.DbAsync())
        {
            total = await db.Users.CountAsync();
        }

        var clock = Stopwatch.StartNew();
        await Task.WhenAll(
            harness.Services.GetRequiredService<AppInstallationJobs>().InstallForEveryoneAsync(harness.OrganizationId, CancellationToken.None),
            secondWorker.GetRequiredService<AppInstallationJobs>().InstallForEveryoneAsync(harness.OrganizationId, CancellationToken.None));
        var elapsed = clock.Elapsed;

        Dictionary<InstallationState, int> states;
        int posts;
        await using (var db = await harness.DbAsync())
        {
            states = await db.Users.GroupBy(u => u.AppInstallation.State).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count);
            posts = await db.AppInstallationAttempts.CountAsync(a => a.Action == "install");
        }

        var throttled = harness.Sandbox.Throttling.Rejected.Values.Sum();
        var installsPerSecond = posts / elapsed.TotalSeconds;
        var report = string.Join('\n',
            $"Bulk install for everyone ({total:N0} users, 2 workers x 16, Sandbox enforcing Microsoft's published Teams limits, pace shared through PostgreSQL):",
            $"  wall time {elapsed.TotalSeconds:F1} s; installs (POST) {posts:N0}; achieved {installsPerSecond:F1}/s; published limit {PublishedInstallsPerSecond}/s per app per tenant; achieved/limit = {installsPerSecond / PublishedInstallsPerSecond:F2}",
            $"  429s from the Sandbox: {throttled}",
            $"  end states: {string.Join(", ", states.OrderBy(s => s.Key).Select(s => $"{s.Key} {s.Value:N0}"))}");
        output.WriteLine(report);
        Measurements.Record("bulk-install", report);
        var size = $"{total} people, 2 workers";
        output.WriteLine(Measurements.Figure("bulk install share of 30/s", installsPerSecond / PublishedInstallsPerSecond, "share", 0.9, BoundKind.AtLeast, size).ToLine());
        output.WriteLine(Measurements.Figure("bulk install 429s from the Sandbox", throttled, "429s", 0, BoundKind.AtMost, size).ToLine());

        Assert.False(states.ContainsKey(InstallationState.Pending), "every user settled");
        Assert.False(states.ContainsKey(InstallationState.Failed));
        Assert.Equal(total, states.Values.Sum());
        Assert.True(installsPerSecond <= PublishedInstallsPerSecond * 1.05, $"{installsPerSecond:F1}/s is over the limit");
        Assert.True(throttled <= total / 100, $"{throttled} 429s");
    }
}
