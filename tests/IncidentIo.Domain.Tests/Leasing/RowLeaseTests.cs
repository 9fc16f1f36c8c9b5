using IncidentIo.Domain.Data;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.Leasing;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.People;
using IncidentIo.Domain.Tests.Data;
using IncidentIo.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace IncidentIo.Domain.Tests.Leasing;

/// <summary>
/// The row lease every long job uses, on a real database of each provider. Each worker (process)
/// has its own clock, so one can stall (its clock stands still: no renewals) while another moves on.
/// </summary>
public abstract class RowLeaseTests(string provider) : IAsyncLifetime
{
    protected static readonly TimeSpan Duration = TimeSpan.FromSeconds(30);
    protected static readonly DateTimeOffset Start = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    private ServiceProvider services = null!;

    protected TestDatabase Database { get; private set; } = null!;

    protected Guid RowId { get; private set; }

    public async Task InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync(provider);
        services = Database.BuildServices();
        await services.GetRequiredService<DatabaseMigrator>().MigrateAsync();
        await using var db = NewContext();
        var organization = new Organization { Name = "Contoso", MicrosoftTenantId = Guid.NewGuid(), CreatedAt = Start, UpdatedAt = Start };
        db.Organizations.Add(organization);
        var read = new TeamRosterRead { OrganizationId = organization.Id, TeamId = Guid.NewGuid(), TeamName = "Engineering", Trigger = "test", RequestedAt = Start };
        db.TeamRosterReads.Add(read);
        // A second row, which no take of the first may touch.
        db.TeamRosterReads.Add(new TeamRosterRead { OrganizationId = organization.Id, TeamId = Guid.NewGuid(), TeamName = "Sales", Trigger = "test", RequestedAt = Start });
        await db.SaveChangesAsync();
        RowId = read.Id;
    }

    public async Task DisposeAsync()
    {
        await services.DisposeAsync();
        await Database.DisposeAsync();
    }

    [Fact]
    public async Task Of_many_workers_taking_a_free_row_at_once_exactly_one_gets_it()
    {
        var clock = new FakeTimeProvider(Start);
        for (var round = 0; round < 10; round++)
        {
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var takers = Enumerable.Range(0, 8).Select(async _ =>
            {
                await gate.Task;
                return await Lease(clock).TakeAsync(r => r.Id == RowId, CancellationToken.None);
            }).ToList();
            gate.SetResult();
            var holds = await Task.WhenAll(takers);

            var winner = Assert.Single(holds, h => h is not null)!;
            Assert.Equal(winner.Owner, (await RowAsync()).LeaseOwner);
            Assert.True(await winner.ReleaseAsync());
            await winner.DisposeAsync();
        }

        Assert.Null((await RowAsync()).LeaseOwner);
    }

    [Fact]
    public async Task A_held_row_is_not_taken_and_the_take_changes_nothing()
    {
        var clock = new FakeTimeProvider(Start);
        await using var held = await Lease(clock).TakeAsync(r => r.Id == RowId, CancellationToken.None);
        Assert.NotNull(held);
        var before = await RowAsync();

        clock.Advance(Duration - TimeSpan.FromSeconds(1));
        var other = await Lease(new FakeTimeProvider(clock.GetUtcNow())).TakeAsync(r => r.Id == RowId, CancellationToken.None, s => s.SetProperty(r => r.State, RosterReadState.Failed));

        Assert.Null(other);
        var after = await RowAsync();
        Assert.Equal((before.LeaseOwner, RosterReadState.Pending), (after.LeaseOwner, after.State));
        Assert.False(held.Token.IsCancellationRequested);
    }

    [Fact]
    public async Task Renewal_every_third_keeps_the_row_past_its_first_expiry()
    {
        var clock = new FakeTimeProvider(Start);
        await using var held = await Lease(clock).TakeAsync(r => r.Id == RowId, CancellationToken.None);
        Assert.NotNull(held);

        for (var third = 1; third <= 4; third++)
        {
            clock.Advance(Duration / 3);
            var expected = clock.GetUtcNow() + Duration;
            await WaitUntilAsync(async () => (await RowAsync()).LeaseUntil == expected);
        }

        // Forty seconds on, past the first lease's end: still this worker's.
        var late = await Lease(new FakeTimeProvider(Start + Duration + TimeSpan.FromSeconds(10))).TakeAsync(r => r.Id == RowId, CancellationToken.None);
        Assert.Null(late);
        Assert.Equal(held.Owner, (await RowAsync()).LeaseOwner);
        Assert.False(held.Token.IsCancellationRequested);
    }

    [Fact]
    public async Task A_worker_killed_mid_work_is_taken_over_after_expiry_and_its_work_is_cancelled_if_it_comes_back()
    {
        var stalled = new FakeTimeProvider(Start);
        var held = await Lease(stalled).TakeAsync(r => r.Id == RowId, CancellationToken.None, s => s.SetProperty(r => r.State, RosterReadState.Reading));
        Assert.NotNull(held);
        // Killed: no renewal and no release any more; its clock stands still.

        var tooEarly = await Lease(new FakeTimeProvider(Start + Duration - TimeSpan.FromSeconds(1))).TakeAsync(r => r.Id == RowId, CancellationToken.None);
        Assert.Null(tooEarly);
        var taker = new FakeTimeProvider(Start + Duration + TimeSpan.FromSeconds(1));
        await using var next = await Lease(taker).TakeAsync(r => r.Id == RowId && r.State == RosterReadState.Reading, CancellationToken.None);
        Assert.NotNull(next);
        Assert.Equal(next.Owner, (await RowAsync()).LeaseOwner);

        // The stalled worker wakes before its own clock says the lease ran out: its renewal finds another owner.
        stalled.Advance(Duration / 3);
        await WaitUntilAsync(() => Task.FromResult(held.Token.IsCancellationRequested));
        Assert.True(held.IsLost);
        Assert.False(await held.ReleaseAsync(s => s.SetProperty(r => r.State, RosterReadState.Failed)));
        await held.DisposeAsync();

        var row = await RowAsync();
        Assert.Equal((next.Owner, RosterReadState.Reading), (row.LeaseOwner, row.State));
        Assert.False(next.Token.IsCancellationRequested);
    }

    [Fact]
    public async Task Stopping_the_caller_cancels_the_work_but_is_not_a_lost_lease()
    {
        using var stop = new CancellationTokenSource();
        await using var held = await Lease(new FakeTimeProvider(Start)).TakeAsync(r => r.Id == RowId, stop.Token);
        Assert.NotNull(held);

        await stop.CancelAsync();

        Assert.True(held.Token.IsCancellationRequested);
        Assert.False(held.IsLost);
    }

    [Fact]
    public async Task Release_writes_the_outcome_with_the_lease_given_back_and_frees_the_row_at_once()
    {
        var clock = new FakeTimeProvider(Start);
        var held = await Lease(clock).TakeAsync(r => r.Id == RowId, CancellationToken.None, s => s.SetProperty(r => r.State, RosterReadState.Reading));
        Assert.NotNull(held);
        Assert.Equal(RosterReadState.Reading, (await RowAsync()).State);

        Assert.True(await held.ReleaseAsync(s => s.SetProperty(r => r.State, RosterReadState.Done)));
        await held.DisposeAsync();

        var row = await RowAsync();
        Assert.Equal((null, null, RosterReadState.Done), (row.LeaseOwner, row.LeaseUntil, row.State));
        await using var again = await Lease(new FakeTimeProvider(Start)).TakeAsync(r => r.Id == RowId, CancellationToken.None);
        Assert.NotNull(again);
    }

    [Fact]
    public async Task A_condition_matching_more_than_one_row_is_refused_and_changes_nothing()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Lease(new FakeTimeProvider(Start)).TakeAsync(r => r.TeamName != "", CancellationToken.None));

        await using var db = NewContext();
        Assert.Equal(2, await db.TeamRosterReads.CountAsync(r => r.LeaseOwner == null && r.LeaseUntil == null));
    }

    [Fact]
    public async Task A_row_held_by_its_own_state_is_renewed_while_it_keeps_that_state_and_lost_when_it_leaves_it()
    {
        var clock = new FakeTimeProvider(Start);
        await using (var db = NewContext())
        {
            await db.TeamRosterReads.Where(r => r.Id == RowId).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.State, RosterReadState.Reading).SetProperty(r => r.LeaseUntil, Start + Duration));
        }

        var lease = new RowLease<TeamRosterRead>(Factory(), clock, Duration, r => r.LeaseUntil, owner: null);
        await using var held = lease.Hold(r => r.Id == RowId && r.State == RosterReadState.Reading, Start + Duration, CancellationToken.None);
        clock.Advance(Duration / 3);
        var renewedTo = clock.GetUtcNow() + Duration;
        await WaitUntilAsync(async () => (await RowAsync()).LeaseUntil == renewedTo);

        await using (var db = NewContext())
        {
            await db.TeamRosterReads.Where(r => r.Id == RowId).ExecuteUpdateAsync(s => s.SetProperty(r => r.State, RosterReadState.Failed));
        }

        clock.Advance(Duration / 3);
        await WaitUntilAsync(() => Task.FromResult(held.IsLost));
        Assert.Equal(renewedTo, (await RowAsync()).LeaseUntil);
        await Assert.ThrowsAsync<InvalidOperationException>(() => lease.TakeAsync(r => r.Id == RowId, CancellationToken.None));
    }

    protected RowLease<TeamRosterRead> Lease(TimeProvider clock) => new(Factory(), clock, Duration, r => r.LeaseUntil, r => r.LeaseOwner);

    private IDbContextFactory<IncidentIoDbContext> Factory() => services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>();

    private IncidentIoDbContext NewContext() => Factory().CreateDbContext();

    protected async Task<TeamRosterRead> RowAsync()
    {
        await using var db = NewContext();
        return await db.TeamRosterReads.AsNoTracking().SingleAsync(r => r.Id == RowId);
    }

    /// <summary>Polls for what a renewal (running beside the test) writes; generous, never a timing assertion.</summary>
    protected static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The condition did not come true within 30 s.");
            await Task.Delay(10);
        }
    }
}

public sealed class SqliteRowLeaseTests() : RowLeaseTests(DatabaseOptions.Sqlite);

public sealed class PostgresRowLeaseTests() : RowLeaseTests(DatabaseOptions.Postgres)
{
    [Fact]
    public async Task A_lease_the_database_cannot_renew_before_it_runs_out_cancels_the_work()
    {
        var clock = new FakeTimeProvider(Start);
        await using var held = await Lease(clock).TakeAsync(r => r.Id == RowId, CancellationToken.None);
        Assert.NotNull(held);
        var name = new NpgsqlConnectionStringBuilder(Database.ConnectionString).Database!;
        var cluster = await PostgresCluster.GetAsync();

        // The database stops answering this worker: its renewals fail, and the lease runs out.
        await AdminAsync(cluster, $"ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS false");
        await AdminAsync(cluster, $"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'");
        NpgsqlConnection.ClearAllPools();
        clock.Advance(Duration / 3);
        clock.Advance(Duration / 3);
        Assert.False(held.Token.IsCancellationRequested); // renewals failing, but the lease still runs
        clock.Advance(Duration / 3);

        Assert.True(held.Token.IsCancellationRequested);
        Assert.True(held.IsLost);
        await AdminAsync(cluster, $"ALTER DATABASE \"{name}\" WITH ALLOW_CONNECTIONS true");
        NpgsqlConnection.ClearAllPools();
        Assert.Equal(Start + Duration, (await RowAsync()).LeaseUntil);
        await using var next = await Lease(new FakeTimeProvider(Start + Duration + TimeSpan.FromSeconds(1))).TakeAsync(r => r.Id == RowId, CancellationToken.None);
        Assert.NotNull(next);
    }

    [Fact]
    public async Task A_renewal_still_waiting_on_the_database_when_the_lease_runs_out_writes_nothing()
    {
        var clock = new FakeTimeProvider(Start);
        await using var held = await Lease(clock).TakeAsync(r => r.Id == RowId, CancellationToken.None);
        Assert.NotNull(held);

        // Another transaction locks the row, so the renewal's UPDATE waits on it.
        await using var blocker = new NpgsqlConnection(Database.ConnectionString);
        await blocker.OpenAsync();
        await using var locking = await blocker.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM team_roster_reads WHERE id = @id FOR UPDATE", blocker, locking))
        {
            lockRow.Parameters.AddWithValue("id", RowId);
            await lockRow.ExecuteNonQueryAsync();
        }

        // Watched from outside the locking transaction, which sees one snapshot of pg_stat_activity.
        await using var watcher = new NpgsqlConnection(Database.ConnectionString);
        await watcher.OpenAsync();
        clock.Advance(Duration / 3);
        await WaitUntilAsync(async () => await UpdatesRunningAsync(watcher) == 1);
        clock.Advance(Duration / 3);
        clock.Advance(Duration / 3);
        Assert.True(held.IsLost);

        // The lock goes; a renewal written now would hold the row for a holder that stopped.
        await locking.CommitAsync();
        await WaitUntilAsync(async () => await UpdatesRunningAsync(watcher) == 0);
        Assert.Equal(Start + Duration, (await RowAsync()).LeaseUntil);
        await using var next = await Lease(new FakeTimeProvider(Start + Duration + TimeSpan.FromSeconds(1))).TakeAsync(r => r.Id == RowId, CancellationToken.None);
        Assert.NotNull(next);
    }

    private static async Task<long> UpdatesRunningAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT count(*) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE 'UPDATE%'
            """, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task AdminAsync(PostgresCluster cluster, string sql)
    {
        await using var connection = new NpgsqlConnection(cluster.AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
