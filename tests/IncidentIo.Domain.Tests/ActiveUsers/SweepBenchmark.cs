using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using IncidentIo.Domain.ActiveUsers;
using IncidentIo.Domain.Audit;
using IncidentIo.Domain.Bot;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.People;
using IncidentIo.Domain.Tests.Reachability;
using IncidentIo.Sandbox.Faults;
using IncidentIo.Sandbox.Throttling;
using IncidentIo.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Graph.Models.ODataErrors;
using Xunit.Abstractions;
using User = IncidentIo.Domain.Users.User;

namespace IncidentIo.Domain.Tests.ActiveUsers;

/// <summary>
/// The active-user sweep on a generated tenant, with Sandbox latency and Microsoft's published Teams
/// limits on, side by side with a naive per-user approach (GET joinedTeams per user), which runs
/// over a sample and is extrapolated. Prints Graph requests against the minimum, wall time against
/// the throttle floor, peak managed heap growth and rows written against users changed.
/// Scale (<see cref="BenchmarkScale"/>): quick 2,000 generated users and 100 bot teams, full 100,000 and
/// 5,000 (with the demo tenant's own people, 100,016); <c>BENCH_SWEEP_USERS</c> and <c>BENCH_SWEEP_TEAMS</c>
/// set either. Table rows: requests ÷ minimum (at most 1.05), wall time ÷ throttle floor (at most 1.15),
/// 429s (at most 1% of the minimum requests). <c>BENCH_SWEEP_NAIVE_SAMPLE</c> (default 200), <c>BENCH_SWEEP_LATENCY_MS</c> (default 30),
/// <c>BENCH_SWEEP_SOURCE</c> (<c>rows</c>, the default: bot teams from our records; <c>graph</c>: every team checked).
/// </summary>
[Trait("Category", "Benchmark")]
public sealed class SweepBenchmark(ITestOutputHelper output)
{
    private const int MembersPageSize = 999;
    private const double NoneShare = 0.03;      // in no bot team, deactivated by an earlier run
    private const double RemovedShare = 0.005;  // left every bot team since the last run
    private const double ReturningShare = 0.002; // deactivated earlier, in a bot team again

    private static readonly Guid Contoso = ReachabilityHarness.Contoso;

    [Fact]
    public async Task The_sweep_on_a_generated_tenant_against_a_naive_per_user_approach()
    {
        var userCount = BenchmarkScale.Pick(2_000, 100_000, "BENCH_SWEEP_USERS");
        var teamCount = BenchmarkScale.Pick(100, 5_000, "BENCH_SWEEP_TEAMS");
        var sampleSize = Setting("BENCH_SWEEP_NAIVE_SAMPLE", 200);
        var latencyMs = Setting("BENCH_SWEEP_LATENCY_MS", 30);
        // "rows": the bot teams are known from our BotTeam rows (the normal case); "graph": no rows, every team in the tenant is checked.
        var fromRows = Environment.GetEnvironmentVariable("BENCH_SWEEP_SOURCE") != "graph";
        var setup = Stopwatch.StartNew();
        await using var harness = await ReachabilityHarness.StartAsync(DatabaseOptions.Postgres, throttle: true, generatedUsers: userCount);
        var started = setup.Elapsed;
        var tenant = GenerateBotTeams(harness, teamCount, new Random(20261127));
        var generated = setup.Elapsed;
        await PrepareLastRunAsync(harness, tenant);
        if (fromRows)
        {
            await RecordBotTeamsAsync(harness, tenant);
        }
        harness.Sandbox.Faults.SetTenant(Contoso, new FaultSettings { LatencyMs = latencyMs });
        var setupTime = setup.Elapsed;

        // The naive approach first: its writes are rolled back, so both start from the same state.
        var naive = await MeasureAsync(harness, () => NaivePerUserAsync(harness, tenant, sampleSize));
        var sweep = await MeasureAsync(harness, () => harness.Services.GetRequiredService<ActiveUserSweep>().RunAsync(harness.OrganizationId, "benchmark"));
        var run = sweep.Result;
        int auditRows;
        string paces;
        await using (var db = await harness.DbAsync())
        {
            auditRows = await db.AuditLog.CountAsync(a => a.Actor == ActiveUserSweep.Actor);
            // Which of the tenant's pacer rows heard 429s, and how wide each gap ended: where the back-off went.
            paces = string.Join(", ", (await db.GraphPaces.AsNoTracking().Where(p => p.TenantId == Contoso).OrderBy(p => p.Operation).ToListAsync())
                .Select(p => $"{p.Operation} {p.ThrottledCount} throttled, gap {p.IntervalMs:F1} ms"));
        }

        var scale = (double)tenant.Users.Count / naive.Result.Users;

        var memberPages = tenant.BotTeamSizes.Sum(s => Math.Max(1, (s + MembersPageSize - 1) / MembersPageSize));
        // Confirming our app in each recorded team, 20 to a $batch; without rows, discovery has no fixed minimum.
        var minimumChecks = fromRows ? (teamCount + 19) / 20 : 0;
        var changed = run.Deactivated + run.Reactivated;
        var naiveFloor = naive.Result.Requests / Limit(harness, "GET joinedTeams") * scale;
        var report = string.Join('\n',
            $"Active-user sweep, generated tenant: {tenant.Users.Count:N0} users, {teamCount:N0} bot teams ({tenant.OtherTeams:N0} other teams), " +
            $"{tenant.BotTeamSizes.Count(s => s > MembersPageSize)} bot teams over {MembersPageSize} members, {tenant.Memberships:N0} memberships; " +
            $"bot teams known from {(fromRows ? "our BotTeam rows" : "Graph (no rows: every team checked)")}; " +
            $"Sandbox latency {latencyMs} ms per call, published Teams limits enforced; setup {setupTime.TotalSeconds:F0} s " +
            $"(users in Sandbox and database {started.TotalSeconds:F0} s, bot teams {(generated - started).TotalSeconds:F0} s)",
            $"  expected changes: {tenant.Removed.Count} removed since the last run, {tenant.Returning.Count} back in a bot team; {tenant.None.Count} in none (already deactivated)",
            $"  {"",-54}{"sweep (product)",-30}naive per-user (extrapolated from {naive.Result.Users:N0} users)",
            Row("Graph HTTP requests", $"{run.GraphRequests:N0}", $"{naive.Result.Requests * scale:N0}"),
            Row("  calls counted against limits", $"{sweep.Admitted.Where(a => a.Key != Throttler.GlobalClass).Sum(a => a.Value):N0}", $"{naive.Result.Requests * scale:N0} GET joinedTeams"),
            $"    by class (sweep): {Classes(sweep.Admitted)}",
            Row($"  ÷ minimum ({memberPages:N0} member pages{(fromRows ? $" + {minimumChecks:N0} $batch checks" : "")})", $"{(double)run.GraphRequests / (memberPages + minimumChecks):F2}", $"{naive.Result.Requests * scale / (memberPages + minimumChecks):F2}"),
            Row("wall time", $"{sweep.Elapsed.TotalSeconds:F1} s", $"{naive.Elapsed.TotalSeconds * scale:F0} s"),
            Row("  throttle floor (max over classes of calls ÷ limit)", $"{Floor(harness, sweep.Admitted).Max:F1} s", $"{naiveFloor:F0} s"),
            Row("  same, classes one after another (Σ)", $"{Floor(harness, sweep.Admitted).Sum:F1} s", $"{naiveFloor:F0} s"),
            Row("  wall time ÷ floor (max)", $"{sweep.Elapsed.TotalSeconds / Floor(harness, sweep.Admitted).Max:F2}", $"{naive.Elapsed.TotalSeconds * scale / naiveFloor:F2}"),
            Row("  429s from the Sandbox", $"{sweep.Throttled}", $"{naive.Throttled * scale:F0}"),
            $"    by class (sweep): {(sweep.Throttled == 0 ? "none" : Classes(sweep.Rejected))}",
            $"    pacer rows after both runs: {paces}",
            $"    {Binding(harness, sweep)}",
            Row("peak managed heap growth (sampled 20 ms)", $"{sweep.PeakHeapGrowth / 1048576.0:F0} MiB", $"{naive.PeakHeapGrowth / 1048576.0:F0} MiB (sample, not scaled)"),
            Row("sampled users in a bot team", "", $"{naive.Result.InABotTeam} of {naive.Result.Users}"),
            Row("users changed", $"{changed:N0} ({run.Deactivated} off, {run.Reactivated} on)", $"{naive.Result.Changed * scale:N0}"),
            Row("rows written (users + audit + run)", $"{changed + auditRows + 1:N0}", $"{naive.Result.RowsWritten * scale:N0}"),
            $"  outcome: {run.Outcome}{(run.Reason is null ? "" : $" ({run.Reason})")}; teams read {run.TeamsRead:N0}; members seen {run.MembersSeen:N0}",
            "  heap growth = max of GC.GetTotalMemory(false) during the run minus its value after a full collection before it; the Sandbox runs in the same process, so its request handling is included.");
        output.WriteLine(report);
        Measurements.Record("active-user-sweep", report);
        var size = $"{tenant.Users.Count} people, {teamCount} bot teams";
        var minimum = memberPages + minimumChecks;
        foreach (var figure in new[]
        {
            Measurements.Figure("sweep Graph requests / minimum", (double)run.GraphRequests / minimum, "x", 1.05, BoundKind.AtMost, size),
            Measurements.Figure("sweep wall time / throttle floor", sweep.Elapsed.TotalSeconds / Floor(harness, sweep.Admitted).Max, "x", 1.15, BoundKind.AtMost, size),
            Measurements.Figure("sweep 429s from the Sandbox", sweep.Throttled, "429s", minimum / 100, BoundKind.AtMost, size),
        })
        {
            output.WriteLine(figure.ToLine());
        }

        Assert.Equal(SweepOutcome.Applied, run.Outcome);
        Assert.Equal(tenant.Removed.Count, run.Deactivated);
        Assert.Equal(tenant.Returning.Count, run.Reactivated);
        Assert.Equal(changed, auditRows);
        Assert.True(naive.Result.Requests >= naive.Result.Users, "one joinedTeams read per sampled user at least");
        // 429s are waited out (Retry-After) and printed above; how many depends on the machine's timing, so no bound here.
    }

    /// <summary>
    /// Bot teams with a realistic skew: most small (log-uniform, 2 to 300), 1% of them 1,000 to 3,000
    /// members so paging happens; everybody but the "none" and "removed" users is in at least one.
    /// </summary>
    private static GeneratedBotTeams GenerateBotTeams(ReachabilityHarness harness, int teamCount, Random random)
    {
        var state = harness.Sandbox.State;
        var otherTeams = state.Teams.Teams(Contoso).Count;
        var users = state.Users(Contoso).Select(u => u.Id).ToArray();
#pragma warning disable CA5394 // Deterministic on purpose.
        random.Shuffle(users);
        var none = users[..(int)(users.Length * NoneShare)];
        var removed = users[none.Length..(none.Length + (int)(users.Length * RemovedShare))];
        var inTeams = users[(none.Length + removed.Length)..];
        var returning = inTeams[..(int)(users.Length * ReturningShare)];
        var sizes = Enumerable.Range(0, teamCount).Select(t => t % 100 == 99
                ? random.Next(1_000, 3_001)
                : (int)Math.Exp(random.NextDouble() * Math.Log(150)) + 2)
            .Select(s => Math.Min(s, inTeams.Length)).ToArray();
        var slots = sizes.SelectMany((size, team) => Enumerable.Repeat(team, size)).ToArray();
        random.Shuffle(slots);
        var members = sizes.Select(s => new HashSet<Guid>(s)).ToArray();
        for (var i = 0; i < slots.Length; i++)
        {
            // The first pass puts each user somewhere; the rest fills teams with random users (some in several).
            members[slots[i]].Add(i < inTeams.Length ? inTeams[i] : inTeams[random.Next(inTeams.Length)]);
        }

        foreach (var user in inTeams.Skip(slots.Length))
        {
            members[random.Next(members.Length)].Add(user);
        }
#pragma warning restore CA5394

        var catalogId = state.Teams.CatalogApps(Contoso).Single(a => a.ManifestId == harness.TeamsApp.AppId).Id;
        var botTeamIds = new List<Guid>();
        for (var t = 0; t < teamCount; t++)
        {
            var team = state.Teams.CreateTeam(Contoso, $"Bot team {t + 1}", null, members[t].Select((id, i) => (id, i == 0)));
            state.Teams.InstallInTeam(Contoso, team.Id, catalogId);
            botTeamIds.Add(team.Id);
        }

        return new GeneratedBotTeams(users, none, removed, returning, botTeamIds, [.. members.Select(m => m.Count)], members.Sum(m => m.Count), otherTeams);
    }

    /// <summary>The database as the previous run left it: "none" users deactivated, and the "returning" ones too.</summary>
    private static async Task PrepareLastRunAsync(ReachabilityHarness harness, GeneratedBotTeams tenant)
    {
        await using var db = await harness.DbAsync();
        var inactive = tenant.None.Concat(tenant.Returning).ToList();
        foreach (var chunk in inactive.Chunk(1_000))
        {
            await db.Users.Where(u => chunk.Contains(u.MicrosoftObjectId)).ExecuteUpdateAsync(s => s
                .SetProperty(u => u.IsActive, false)
                .SetProperty(u => u.DeactivatedAt, DateTimeOffset.UtcNow)
                .SetProperty(u => u.DeactivationReason, "Not a member of any team where IncidentIo is installed (an earlier run)."));
        }

        // The last run saw the people of the bot teams there, each under the first of their teams by name.
        var teams = harness.Sandbox.State.Teams;
        var seen = new Dictionary<Guid, string>();
        var returning = tenant.Returning.ToHashSet();
        foreach (var teamId in tenant.BotTeamIds)
        {
            var name = ClippedText.Clip(teams.FindTeam(Contoso, teamId)!.DisplayName, User.BotTeamNameMaxLength);
            foreach (var member in teams.Members(teamId).Where(m => !returning.Contains(m.UserId)))
            {
                if (!seen.TryGetValue(member.UserId, out var kept) || string.CompareOrdinal(name, kept) < 0)
                {
                    seen[member.UserId] = name;
                }
            }
        }

        await FoundPeople.MarkSeenAsync(db, harness.OrganizationId, [.. seen.Select(s => (s.Key, s.Value))], CancellationToken.None);
    }

    /// <summary>What the bot's installation events would have recorded: one row per bot team.</summary>
    private static async Task RecordBotTeamsAsync(ReachabilityHarness harness, GeneratedBotTeams tenant)
    {
        await using var db = await harness.DbAsync();
        db.BotTeams.AddRange(tenant.BotTeamIds.Select((id, i) => new BotTeam
        {
            OrganizationId = harness.OrganizationId,
            TeamThreadId = $"19:{id:N}@thread.tacv2",
            GraphTeamId = id,
            Name = $"Bot team {i + 1}",
            ServiceUrl = "https://smba.trafficmanager.net/emea/",
            InstalledAt = DateTimeOffset.UtcNow,
            UpdatedAt = DateTimeOffset.UtcNow,
        }));
        await db.SaveChangesAsync();
    }

    /// <summary>
    /// What a naive integration does: for each user, GET joinedTeams, intersect with the bot teams
    /// (given for free here, which flatters it), and write each change on its own. Paced at 90% of
    /// the published joinedTeams limit with the product's pacer, 16 at a time; the writes run in a
    /// transaction that is rolled back, so the product's run is not disturbed.
    /// </summary>
    private static async Task<NaiveResult> NaivePerUserAsync(ReachabilityHarness harness, GeneratedBotTeams tenant, int sampleSize)
    {
        var services = harness.Services;
        var tokens = services.GetRequiredService<MainAppTokens>();
        var pacer = services.GetRequiredService<TenantGraphPacer>();
        var botTeams = tenant.BotTeamIds.Select(id => id.ToString()).ToHashSet(StringComparer.OrdinalIgnoreCase);
        await using var db = await harness.DbAsync();
        var sample = await db.Users.AsNoTracking().Where(u => u.OrganizationId == harness.OrganizationId)
            .OrderBy(u => u.Id).Take(sampleSize).Select(u => new { u.Id, u.MicrosoftObjectId }).ToListAsync();
        await using var transaction = await db.Database.BeginTransactionAsync();
        using var graph = new RecordedGraph(services, ct => tokens.AcquireAsync(Contoso, cancellationToken: ct), TimeSpan.FromSeconds(30), TimeProvider.System);
        var decisions = new ConcurrentBag<(Guid UserId, bool InABotTeam)>();
        await Parallel.ForEachAsync(sample, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (user, ct) =>
        {
            while (true)
            {
                await pacer.WaitForSlotAsync(Contoso, "naive-joined-teams", 27, ct);
                try
                {
                    var joined = await graph.Client.Users[user.MicrosoftObjectId.ToString()].JoinedTeams.GetAsync(cancellationToken: ct);
                    decisions.Add((user.Id, joined?.Value?.Any(t => botTeams.Contains(t.Id!)) == true));
                    return;
                }
                catch (ODataError error) when (error.ResponseStatusCode == 429)
                {
                    await pacer.ThrottledAsync(Contoso, "naive-joined-teams", TimeSpan.FromSeconds(1), ct);
                }
            }
        });

        // One save per user: the per-user approach has no run to batch its changes in.
        var changed = 0;
        var rows = 0;
        foreach (var (userId, inABotTeam) in decisions)
        {
            var user = await db.Users.SingleAsync(u => u.Id == userId);
            var change = inABotTeam ? user.Reactivate() : user.Deactivate("Not in a bot team (naive).", DateTimeOffset.UtcNow);
            if (change)
            {
                changed++;
                db.AuditLog.Add(AuditLogEntry.Record(harness.OrganizationId, DateTimeOffset.UtcNow, "naive", inABotTeam ? "user.reactivated" : "user.deactivated"));
                rows += await db.SaveChangesAsync();
            }

            db.ChangeTracker.Clear();
        }

        await transaction.RollbackAsync();
        return new NaiveResult(sample.Count, graph.DrainCalls().Count, changed, rows, decisions.Count(d => d.InABotTeam));
    }

    private static async Task<Measured<T>> MeasureAsync<T>(ReachabilityHarness harness, Func<Task<T>> work)
    {
        harness.Sandbox.Throttling.ResetCounts();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var peak = baseline;
        var timeline = new List<(TimeSpan At, IReadOnlyDictionary<string, long> Admitted)>();
        using var stop = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var sampler = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(false));
                if (timeline.Count == 0 || clock.Elapsed - timeline[^1].At >= TimeSpan.FromSeconds(1))
                {
                    timeline.Add((clock.Elapsed, harness.Sandbox.Throttling.Admitted));
                }

                await Task.Delay(20, CancellationToken.None);
            }
        });
        var result = await work();
        var elapsed = clock.Elapsed;
        await stop.CancelAsync();
        await sampler;
        var admitted = harness.Sandbox.Throttling.Admitted;
        timeline.Add((elapsed, admitted));
        var rejected = harness.Sandbox.Throttling.Rejected.ToDictionary(r => r.Key, r => r.Value);
        return new Measured<T>(result, elapsed, peak - baseline, admitted, rejected.Values.Sum(), rejected, timeline);
    }

    private static double Limit(ReachabilityHarness harness, string rule) =>
        harness.Sandbox.Throttling.Options.Rules.Single(r => r.Name == rule).PerSecond;

    /// <summary>
    /// Each class at its published limit: classes have their own buckets, so the floor is the slowest
    /// class (Max) when they run side by side, and the sum when one waits for another.
    /// </summary>
    private static (double Max, double Sum) Floor(ReachabilityHarness harness, IReadOnlyDictionary<string, long> admitted)
    {
        var seconds = admitted.Where(a => a.Key != Throttler.GlobalClass).Select(a => a.Value / Limit(harness, a.Key)).ToList();
        return (seconds.DefaultIfEmpty(0).Max(), seconds.Sum());
    }

    /// <summary>
    /// Where the wall time over the floor went: each class's calls in each tenth of the run, as a
    /// share of its limit (1.00 = the class ran at its limit all that tenth); the floor's class first.
    /// </summary>
    private static string Binding<T>(ReachabilityHarness harness, Measured<T> sweep)
    {
        var classes = sweep.Admitted.Where(a => a.Key != Throttler.GlobalClass).OrderByDescending(a => a.Value / Limit(harness, a.Key)).Select(a => a.Key);
        return "each class per tenth of the run, share of its limit (the floor's class first):" + string.Concat(classes.Select(operation =>
        {
            var shares = Enumerable.Range(1, 10).Select(tenth =>
            {
                var from = sweep.Elapsed * ((tenth - 1) / 10.0);
                var to = sweep.Elapsed * (tenth / 10.0);
                var calls = AdmittedAt(sweep, operation, to) - AdmittedAt(sweep, operation, from);
                return (calls / ((to - from).TotalSeconds * Limit(harness, operation))).ToString("F2", CultureInfo.InvariantCulture);
            });
            return $"\n      {operation,-28}{string.Join(' ', shares)}";
        }));
    }

    private static long AdmittedAt<T>(Measured<T> measured, string operation, TimeSpan at) =>
        measured.Timeline.LastOrDefault(s => s.At <= at).Admitted?.GetValueOrDefault(operation) ?? 0;

    private static string Classes(IReadOnlyDictionary<string, long> admitted) =>
        string.Join(", ", admitted.Where(a => a.Key != Throttler.GlobalClass).OrderByDescending(a => a.Value).Select(a => $"{a.Value:N0} {a.Key}"));

    private static string Row(string label, string sweep, string naive) => $"  {label,-54}{sweep,-30}{naive}";

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), CultureInfo.InvariantCulture, out var value) && value > 0 ? value : fallback;

    private sealed record GeneratedBotTeams(
        IReadOnlyList<Guid> Users, IReadOnlyList<Guid> None, IReadOnlyList<Guid> Removed, IReadOnlyList<Guid> Returning,
        IReadOnlyList<Guid> BotTeamIds, IReadOnlyList<int> BotTeamSizes, int Memberships, int OtherTeams);

    private sealed record NaiveResult(int Users, int Requests, int Changed, int RowsWritten, int InABotTeam);

    private sealed record Measured<T>(
        T Result, TimeSpan Elapsed, long PeakHeapGrowth, IReadOnlyDictionary<string, long> Admitted, long Throttled, IReadOnlyDictionary<string, long> Rejected,
        IReadOnlyList<(TimeSpan At, IReadOnlyDictionary<string, long> Admitted)> Timeline);
}
