using IncidentIo.Domain.Data;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.Jobs;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IncidentIo.Domain.Tests.Data;

/// <summary>The same contract, run against SQLite (embedded default) and a real PostgreSQL.</summary>
public abstract class DatabaseTests(string provider) : IAsyncLifetime
{
    private TestDatabase database = null!;
    private ServiceProvider services = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync(provider);
        services = database.BuildServices();
        await services.GetRequiredService<DatabaseMigrator>().MigrateAsync();
    }

    public async Task DisposeAsync()
    {
        await services.DisposeAsync();
        await database.DisposeAsync();
    }

    private IncidentIoDbContext NewContext() => services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>().CreateDbContext();

    [Fact]
    public async Task Migrations_bring_an_empty_database_to_the_model()
    {
        await using var db = NewContext();

        Assert.False(db.Database.HasPendingModelChanges(), "The model has changes no migration covers: add a migration for both providers.");
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
    }

    [Fact]
    public async Task The_four_plans_are_there_in_order()
    {
        await using var db = NewContext();

        var plans = await db.Plans.OrderBy(p => p.SortOrder).ToListAsync();

        Assert.Equal(["basic", "team", "pro", "enterprise"], plans.Select(p => p.Code));
        Assert.All(plans, p => Assert.NotEmpty(p.Includes));
    }

    [Fact]
    public async Task An_organisation_keeps_its_plan_and_setup_stage()
    {
        var tenant = Guid.NewGuid();
        var now = new DateTimeOffset(2026, 11, 26, 10, 0, 0, TimeSpan.Zero);
        await using (var db = NewContext())
        {
            var organization = new Organization { Name = "Contoso", MicrosoftTenantId = tenant, CreatedAt = now, UpdatedAt = now };
            organization.ChoosePlan(await db.Plans.SingleAsync(p => p.Code == "pro"), now);
            db.Organizations.Add(organization);
            await db.SaveChangesAsync();
        }

        await using (var db = NewContext())
        {
            var organization = await db.Organizations.Include(o => o.Plan).SingleAsync(o => o.MicrosoftTenantId == tenant);
            Assert.Equal("Pro", organization.Plan!.Name);
            Assert.Equal(SetupStage.PlanSelected, organization.SetupStage);
            Assert.Equal(now, organization.PlanChosenAt);
        }
    }

    [Fact]
    public async Task A_tenant_has_one_organisation()
    {
        var tenant = Guid.NewGuid();
        await using var db = NewContext();
        db.Organizations.Add(new Organization { Name = "First", MicrosoftTenantId = tenant });
        await db.SaveChangesAsync();

        await using var other = NewContext();
        other.Organizations.Add(new Organization { Name = "Second", MicrosoftTenantId = tenant });

        await Assert.ThrowsAsync<DbUpdateException>(() => other.SaveChangesAsync());
        Assert.Equal(1, await NewContext().Organizations.CountAsync(o => o.MicrosoftTenantId == tenant));
    }

    [Fact]
    public async Task A_person_is_one_user_per_organisation_but_may_be_in_several()
    {
        var objectId = Guid.NewGuid();
        var first = new Organization { Name = "First", MicrosoftTenantId = Guid.NewGuid() };
        var second = new Organization { Name = "Second", MicrosoftTenantId = Guid.NewGuid() };
        await using (var db = NewContext())
        {
            db.Organizations.AddRange(first, second);
            db.Users.Add(new User { OrganizationId = first.Id, MicrosoftObjectId = objectId, DisplayName = "Ann", Role = UserRole.Responder });
            db.Users.Add(new User { OrganizationId = second.Id, MicrosoftObjectId = objectId, DisplayName = "Ann" });
            await db.SaveChangesAsync();
        }

        await using var duplicate = NewContext();
        duplicate.Users.Add(new User { OrganizationId = first.Id, MicrosoftObjectId = objectId, DisplayName = "Ann again" });
        await Assert.ThrowsAsync<DbUpdateException>(() => duplicate.SaveChangesAsync());
    }

    [Fact]
    public async Task A_deactivated_user_and_remembered_role_survive_a_round_trip()
    {
        var organization = new Organization { Name = "Contoso", MicrosoftTenantId = Guid.NewGuid() };
        var user = new User { OrganizationId = organization.Id, MicrosoftObjectId = Guid.NewGuid(), DisplayName = "Ann", Role = UserRole.Admin };
        user.Deactivate("In no team where the bot is installed", DateTimeOffset.UtcNow);
        await using (var db = NewContext())
        {
            db.Organizations.Add(organization);
            db.Users.Add(user);
            await db.SaveChangesAsync();
        }

        await using var reread = NewContext();
        var stored = await reread.Users.SingleAsync(u => u.Id == user.Id);
        Assert.False(stored.IsActive);
        Assert.Equal(UserRole.Viewer, stored.Role);
        Assert.Equal(UserRole.Admin, stored.RoleBeforeDeactivation);
    }

    [Fact]
    public async Task A_heartbeat_records_who_ran_it_once()
    {
        var requestedAt = DateTimeOffset.UtcNow.AddMilliseconds(-250);
        var heartbeat = new JobHeartbeat { RequestedBy = "portal test", RequestedAt = requestedAt };
        await using (var db = NewContext())
        {
            db.JobHeartbeats.Add(heartbeat);
            await db.SaveChangesAsync();
        }

        await RunHeartbeatAsync(heartbeat.Id);
        DateTimeOffset firstRun;
        await using (var db = NewContext())
        {
            var stored = await db.JobHeartbeats.SingleAsync(h => h.Id == heartbeat.Id);
            Assert.StartsWith("test ", stored.ExecutedBy, StringComparison.Ordinal);
            Assert.InRange(stored.PickupLatency!.Value, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30));
            firstRun = stored.ExecutedAt!.Value;
        }

        // A retried job must not overwrite the first measurement.
        await RunHeartbeatAsync(heartbeat.Id);
        await using var again = NewContext();
        Assert.Equal(firstRun, (await again.JobHeartbeats.SingleAsync(h => h.Id == heartbeat.Id)).ExecutedAt);
    }

    [Fact]
    public async Task The_scheduled_heartbeat_keeps_only_the_latest_rows()
    {
        // Whole seconds: SQLite keeps milliseconds, PostgreSQL microseconds.
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await using (var db = NewContext())
        {
            db.JobHeartbeats.AddRange(Enumerable.Range(0, HeartbeatJob.Retained + 20)
                .Select(i => new JobHeartbeat { RequestedBy = "old", RequestedAt = start.AddMinutes(i) }));
            await db.SaveChangesAsync();
        }

        await using (var scope = services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<HeartbeatJob>().RunScheduledAsync(CancellationToken.None);
        }

        await using var check = NewContext();
        Assert.Equal(HeartbeatJob.Retained, await check.JobHeartbeats.CountAsync());
        Assert.Equal(1, await check.JobHeartbeats.CountAsync(h => h.Trigger == HeartbeatTrigger.Scheduled));
        var oldest = await check.JobHeartbeats.OrderBy(h => h.RequestedAt).FirstAsync();
        Assert.Equal(start.AddMinutes(21), oldest.RequestedAt);
    }

    [Fact]
    public async Task Several_processes_migrating_at_once_apply_each_migration_once()
    {
        await using var fresh = await TestDatabase.CreateAsync(provider);
        var providers = Enumerable.Range(0, 4).Select(_ => fresh.BuildServices()).ToList();
        try
        {
            await Task.WhenAll(providers.Select(p => Task.Run(() => p.GetRequiredService<DatabaseMigrator>().MigrateAsync())));

            await using var db = providers[0].GetRequiredService<IDbContextFactory<IncidentIoDbContext>>().CreateDbContext();
            Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
            Assert.Equal(4, await db.Plans.CountAsync());
        }
        finally
        {
            foreach (var p in providers)
            {
                await p.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task The_token_cache_stores_expires_slides_and_removes_entries()
    {
        var clock = new SettableClock(new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero));
        var cache = new DatabaseDistributedCache(services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>(), clock);
        byte[] tokens = [1, 2, 3];

        await cache.SetAsync("user.tenant", tokens, new() { AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1) });
        await cache.SetAsync("app.tenant", [9], new() { SlidingExpiration = TimeSpan.FromMinutes(10), AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(25) });
        await cache.SetAsync("user.tenant", [4, 5], new() { AbsoluteExpirationRelativeToNow = TimeSpan.FromHours(1) });

        Assert.Equal([4, 5], await cache.GetAsync("user.tenant"));
        clock.Now += TimeSpan.FromMinutes(8);
        Assert.Equal([9], await cache.GetAsync("app.tenant")); // slides to 18 min
        clock.Now += TimeSpan.FromMinutes(8);
        Assert.Equal([9], await cache.GetAsync("app.tenant")); // slides, capped at 25 min
        clock.Now += TimeSpan.FromMinutes(10);
        Assert.Null(await cache.GetAsync("app.tenant")); // past the absolute limit
        await cache.RemoveAsync("user.tenant");
        Assert.Null(await cache.GetAsync("user.tenant"));
        await cache.SetAsync("old", [0], new() { AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(1) });
        clock.Now += TimeSpan.FromMinutes(2);
        Assert.Equal(1, await cache.RemoveExpiredAsync());
    }

    private sealed class SettableClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private async Task RunHeartbeatAsync(Guid id)
    {
        await using var scope = services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<HeartbeatJob>().RunAsync(id, null, CancellationToken.None);
    }
}

public sealed class SqliteDatabaseTests() : DatabaseTests(DatabaseOptions.Sqlite);

public sealed class PostgresDatabaseTests() : DatabaseTests(DatabaseOptions.Postgres);
