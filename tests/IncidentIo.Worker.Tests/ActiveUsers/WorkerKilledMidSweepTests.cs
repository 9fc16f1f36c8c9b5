using System.Diagnostics;
using IncidentIo.Domain.ActiveUsers;
using IncidentIo.Sandbox.Faults;
using IncidentIo.Sandbox.State;
using IncidentIo.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace IncidentIo.Worker.Tests.ActiveUsers;

/// <summary>
/// A Worker process killed (SIGKILL) in the middle of an active-user sweep, once while it reads
/// the teams and once inside the transaction that writes the changes: nobody changes, the dead
/// run holds the organisation only until its lease runs out, and the next run makes every change
/// exactly once.
/// </summary>
public sealed class WorkerKilledMidSweepTests(ITestOutputHelper output)
{
    private const int Everyone = SweepDeployment.Staying + SweepDeployment.Leaving;

    [Fact]
    public async Task A_worker_killed_while_reading_changes_nobody_and_holds_the_organisation_only_until_its_lease_runs_out()
    {
        var lease = TimeSpan.FromSeconds(20);
        await using var deployment = await SweepDeployment.StartAsync("killsweepread", lease);
        deployment.Sandbox.Faults.SetTenant(DemoSeed.ContosoTenantId, new FaultSettings { LatencyMs = 1_500 });
        var first = await deployment.StartWorkerAsync();

        deployment.QueueRun();
        await WaitUntilAsync(async () => deployment.GraphRequests >= 1 && (await deployment.StateAsync()).Runs.Count == 1, TimeSpan.FromSeconds(60));
        await deployment.KillAsync(first);
        var killedAt = Stopwatch.StartNew();
        var graphAtKill = deployment.GraphRequests;

        var (active, audits, runs) = await deployment.StateAsync();
        Assert.Equal(Everyone, active);
        Assert.Equal(0, audits);
        var dead = Assert.Single(runs);
        Assert.Equal(SweepOutcome.Running, dead.Outcome);
        Assert.Contains("worker", dead.RunBy, StringComparison.Ordinal);

        deployment.Sandbox.Faults.SetTenant(DemoSeed.ContosoTenantId, new FaultSettings());
        await deployment.StartWorkerAsync();
        // While the dead run's lease lasts, "run now" starts nothing: one run per organisation at a time.
        await deployment.WaitForJobAsync(deployment.QueueRun(), TimeSpan.FromSeconds(30));
        var whileHeld = await deployment.StateAsync();
        var heldFor = killedAt.Elapsed;
        Assert.True(dead.LeaseUntil > DateTimeOffset.UtcNow, "the test was too slow to see the lease held");
        Assert.Equal(SweepOutcome.Running, Assert.Single(whileHeld.Runs).Outcome);
        Assert.Equal(Everyone, whileHeld.Active);

        await WaitUntilAsync(() => Task.FromResult(DateTimeOffset.UtcNow > dead.LeaseUntil), lease + TimeSpan.FromSeconds(5));
        await deployment.WaitForJobAsync(deployment.QueueRun(), TimeSpan.FromSeconds(60));
        var after = await deployment.StateAsync();

        Assert.Equal(SweepDeployment.Staying, after.Active);
        Assert.Equal(SweepDeployment.Leaving, after.Audits);
        Assert.Collection(after.Runs,
            r => Assert.Equal((dead.Id, SweepOutcome.Abandoned), (r.Id, r.Outcome)),
            r => Assert.Equal((SweepOutcome.Applied, SweepDeployment.Leaving), (r.Outcome, r.Deactivated)));
        Report("worker-killed-mid-sweep-read",
            $"Worker killed mid-read (Graph answering in 1.5 s; lease {lease.TotalSeconds:F0} s): killed after {graphAtKill} Graph requests with nobody changed; " +
            $"a run-now {heldFor.TotalSeconds:F1} s after the kill started nothing (lease held); the next run after the lease ran out applied " +
            $"{SweepDeployment.Leaving} deactivations once, {killedAt.Elapsed.TotalSeconds:F1} s after the kill");
    }

    [Fact]
    public async Task A_worker_killed_inside_the_write_transaction_leaves_the_old_state_and_the_next_run_makes_every_change_once()
    {
        var lease = TimeSpan.FromSeconds(5);
        await using var deployment = await SweepDeployment.StartAsync("killsweepwrite", lease);
        var first = await deployment.StartWorkerAsync();
        await using var watcher = new NpgsqlConnection(deployment.ConnectionString);
        await watcher.OpenAsync();

        deployment.QueueRun();
        // The sweep's write transaction has begun changing users or writing their audit entries.
        var seen = await WaitForWriteTransactionAsync(watcher, TimeSpan.FromSeconds(120));
        await deployment.KillAsync(first);
        var killedAt = Stopwatch.StartNew();

        var (active, audits, runs) = await deployment.StateAsync();
        Assert.Equal(Everyone, active);
        Assert.Equal(0, audits);
        var dead = Assert.Single(runs);
        Assert.Equal(SweepOutcome.Running, dead.Outcome);

        await deployment.StartWorkerAsync();
        // Read the lease again rather than trust the read at the kill: a renewal the killed worker sent
        // while its write transaction held the run's row waits for that lock and lands after the kill,
        // moving the lease on once more.
        await WaitUntilAsync(async () => (await deployment.StateAsync()).Runs.Single(r => r.Id == dead.Id).LeaseUntil is not { } until || DateTimeOffset.UtcNow > until, lease * 2 + TimeSpan.FromSeconds(5));
        await deployment.WaitForJobAsync(deployment.QueueRun(), TimeSpan.FromSeconds(60));
        var after = await deployment.StateAsync();

        Assert.Equal(SweepDeployment.Staying, after.Active);
        Assert.Equal(SweepDeployment.Leaving, after.Audits);
        Assert.Collection(after.Runs,
            r => Assert.Equal(SweepOutcome.Abandoned, r.Outcome),
            r => Assert.Equal((SweepOutcome.Applied, SweepDeployment.Leaving), (r.Outcome, r.Deactivated)));
        Report("worker-killed-mid-sweep-write",
            $"Worker killed inside the sweep's write transaction ({SweepDeployment.Leaving} deactivations; killed on seeing \"{seen}\"): " +
            $"after the kill {Everyone} of {Everyone} still active, 0 audit entries; the next run applied {SweepDeployment.Leaving} deactivations with " +
            $"{after.Audits} audit entries, {killedAt.Elapsed.TotalSeconds:F1} s after the kill (lease {lease.TotalSeconds:F0} s)");
    }

    /// <summary>Polls PostgreSQL for another session with an open transaction that has written to users or audit_log.</summary>
    private static async Task<string> WaitForWriteTransactionAsync(NpgsqlConnection watcher, TimeSpan timeout)
    {
        await using var query = new NpgsqlCommand(
            """
            SELECT left(query, 80) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL
              AND (query ILIKE '%UPDATE users%' OR query ILIKE '%INSERT INTO audit_log%')
            LIMIT 1
            """, watcher);
        var giveUp = Stopwatch.StartNew();
        while (giveUp.Elapsed < timeout)
        {
            if (await query.ExecuteScalarAsync() is string statement)
            {
                return statement.ReplaceLineEndings(" ");
            }

            await Task.Delay(2);
        }

        throw new TimeoutException($"No write transaction seen within {timeout.TotalSeconds} s.");
    }

    private void Report(string name, string report)
    {
        output.WriteLine(report);
        Measurements.Record(name, report);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var giveUp = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > giveUp)
            {
                throw new TimeoutException($"Not there within {timeout.TotalSeconds} s.");
            }

            await Task.Delay(50);
        }
    }
}
