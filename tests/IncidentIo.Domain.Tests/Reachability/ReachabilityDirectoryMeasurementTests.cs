using System.Diagnostics;
using System.Globalization;
using System.Text;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.Reachability;
using IncidentIo.Domain.Tests.Data;
using IncidentIo.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace IncidentIo.Domain.Tests.Reachability;

/// <summary>
/// The support console's queries against 100,000 people in one organisation on PostgreSQL:
/// prints p50/p95 (and writes them to artifacts/measurements) rather than asserting timings,
/// beyond a bound only a broken query plan would cross.
/// </summary>
public sealed class ReachabilityDirectoryMeasurementTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int People = 100_000;
    private const int Runs = 50;
    private static readonly TimeSpan SanityBound = TimeSpan.FromSeconds(2);

    private readonly Guid organizationId = Guid.NewGuid();
    private TestDatabase database = null!;
    private ServiceProvider services = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync(DatabaseOptions.Postgres);
        services = database.BuildServices();
        await services.GetRequiredService<DatabaseMigrator>().MigrateAsync();
    }

    public async Task DisposeAsync()
    {
        await services.DisposeAsync();
        await database.DisposeAsync();
    }

    [Fact]
    public async Task Lists_and_counts_stay_fast_with_100000_people_in_one_organisation()
    {
        var factory = services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>();
        var insert = Stopwatch.StartNew();
        await InsertPeopleAsync(factory);
        insert.Stop();
        var directory = new ReachabilityDirectory(factory);

        var someone = (await directory.ListAsync(organizationId, new ReachabilityQuery { Search = "smith", Take = 1 })).Items[0].UserId;
        var cases = new (string Name, Func<Task<int>> Run)[]
        {
            ("list, first page (by name)", async () => (await directory.ListAsync(organizationId, new ReachabilityQuery())).Total),
            ("list, search \"smith\"", async () => (await directory.ListAsync(organizationId, new ReachabilityQuery { Search = "smith" })).Total),
            ("list, state filter (blocked by policy)", async () => (await directory.ListAsync(organizationId, new ReachabilityQuery { State = InstallationState.BlockedByPolicy })).Total),
            ("list, late page (skip 99,950)", async () => (await directory.ListAsync(organizationId, new ReachabilityQuery { Skip = People - 50 })).Total),
            ("list, by last change, newest first", async () => (await directory.ListAsync(organizationId, new ReachabilityQuery { Sort = ReachabilitySort.Changed, Descending = true })).Total),
            ("counts per state (the list's 2 s poll)", async () => (await directory.CountsAsync(organizationId)).Total),
            ("user page poll (one person's version)", async () => (await directory.VersionAsync(organizationId, someone))!.HistoryCount),
        };

        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture,
            $"Support console on PostgreSQL, {People:N0} people in one organisation (inserted in {insert.Elapsed.TotalSeconds:F1} s); {Runs} runs each after one warm-up:");
        foreach (var (name, run) in cases)
        {
            var matched = await run();
            var times = new List<double>(Runs);
            for (var i = 0; i < Runs; i++)
            {
                var watch = Stopwatch.StartNew();
                await run();
                times.Add(watch.Elapsed.TotalMilliseconds);
            }

            times.Sort();
            var p50 = times[(Runs / 2) - 1];
            var p95 = times[(int)Math.Ceiling(Runs * 0.95) - 1];
            report.AppendLine(CultureInfo.InvariantCulture, $"  {name,-42} p50 {p50,7:F1} ms   p95 {p95,7:F1} ms   ({matched:N0} matching)");
            Assert.True(p95 < SanityBound.TotalMilliseconds, $"{name}: p95 {p95:F0} ms");
        }

        output.WriteLine(report.ToString());
        var folder = Path.Combine(RepositoryPaths.Root, "artifacts", "measurements");
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "support-console-queries.txt"), report.ToString());
    }

    /// <summary>One INSERT … SELECT from generate_series: names from 20 × 25 common ones, states in realistic shares, then ANALYZE as autovacuum would.</summary>
    private async Task InsertPeopleAsync(IDbContextFactory<IncidentIoDbContext> factory)
    {
        await using var db = await factory.CreateDbContextAsync();
        var now = DateTimeOffset.UtcNow;
        db.Organizations.Add(new Organization { Id = organizationId, Name = "Bigcorp", MicrosoftTenantId = Guid.NewGuid(), CreatedAt = now, UpdatedAt = now });
        // Someone else's organisation in the same tables, as in production.
        db.Organizations.Add(new Organization { Name = "Other", MicrosoftTenantId = Guid.NewGuid(), CreatedAt = now, UpdatedAt = now });
        await db.SaveChangesAsync();

        db.Database.SetCommandTimeout(TimeSpan.FromMinutes(2));
        await db.Database.ExecuteSqlRawAsync(
            """
            INSERT INTO users (id, organization_id, microsoft_object_id, display_name, user_principal_name, role, is_active, created_at,
                               app_installation_state, app_installation_attempts, app_installation_changed_at, app_installation_verified_at,
                               app_installation_next_attempt_at)
            SELECT gen_random_uuid(), {0}, gen_random_uuid(),
                   n.first || ' ' || n.last,
                   lower(n.first) || '.' || lower(n.last) || i || '@bigcorp.example',
                   CASE WHEN i % 1000 = 0 THEN 'Owner' WHEN i % 200 = 0 THEN 'Admin' WHEN i % 20 = 0 THEN 'Responder' ELSE 'Viewer' END,
                   i % 40 <> 0,
                   now(),
                   s.state,
                   CASE WHEN s.state = 'Pending' THEN 1 + i % 5 ELSE 0 END,
                   CASE WHEN s.state = 'NotInstalled' THEN NULL ELSE now() - make_interval(secs => i) END,
                   CASE WHEN s.state = 'Installed' THEN now() - make_interval(secs => i) END,
                   CASE WHEN s.state IN ('Pending', 'NeverOpenedTeams') THEN now() + make_interval(secs => i) END
            FROM generate_series(1, {1}) AS i
            CROSS JOIN LATERAL (SELECT
                (ARRAY['Ada','Alan','Grace','Linus','Margaret','Dennis','Barbara','Ken','Frances','John',
                       'Mary','James','Priya','Wei','Fatima','Lars','Sofia','Diego','Amara','Yuki'])[1 + (i * 7) % 20] AS first,
                (ARRAY['Smith','Jones','Taylor','Brown','Wilson','Evans','Thomas','Johnson','Roberts','Walker',
                       'Wright','Robinson','Thompson','White','Hughes','Edwards','Green','Hall','Wood','Harris',
                       'Martin','Jackson','Clarke','Lewis','Lee'])[1 + (i * 13) % 25] AS last) AS n
            CROSS JOIN LATERAL (SELECT CASE
                WHEN i % 500 = 1 THEN 'BlockedByPolicy'
                WHEN i % 100 = 2 THEN 'NeverOpenedTeams'
                WHEN i % 1000 = 3 THEN 'NotInCatalog'
                WHEN i % 250 = 4 THEN 'Failed'
                WHEN i % 50 = 5 THEN 'Pending'
                WHEN i % 10 < 7 THEN 'Installed'
                ELSE 'NotInstalled' END AS state) AS s
            """,
            organizationId, People);
        await db.Database.ExecuteSqlRawAsync("ANALYZE users");
        Assert.Equal(People, await db.Users.CountAsync(u => u.OrganizationId == organizationId));
    }
}
