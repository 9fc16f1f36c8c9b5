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
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace IncidentIo.Domain.Tests.Reachability;

/// <summary>
/// The support console's list on one organisation of many people: every kind of read (first,
/// next, late, previous and last page, each order both ways, search, each state filter, filter
/// with search, the counts poll), 50 runs each after a warm-up. Each read's p95 goes into the
/// benchmark table against the 100 ms bound (p50 and p95 also in artifacts/measurements); asserts
/// on totals and, on PostgreSQL, on the plans (<see cref="ReachabilityPlanTests"/>), never on wall time.
/// Scale: 10,000 people in the test run, 100,000 at full scale, or <c>BENCH_CONSOLE_PEOPLE</c>
/// (with <c>BENCH_CONSOLE_RUNS</c> for fewer runs of each read).
/// </summary>
[Trait("Category", "Benchmark")]
public sealed class ReachabilityDirectoryBenchmark(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromMilliseconds(100);

    public static int People => BenchmarkScale.Pick(10_000, 100_000, "BENCH_CONSOLE_PEOPLE");

    /// <summary>Runs of each read (50; fewer with <c>BENCH_CONSOLE_RUNS</c> for a very large organisation).</summary>
    private static int Runs => BenchmarkScale.Pick(50, 50, "BENCH_CONSOLE_RUNS");

    /// <summary>The 100 ms bound is PostgreSQL's; the embedded SQLite database's figures are reported beside it.</summary>
    private static BoundKind BoundFor(string provider) => provider == DatabaseOptions.Postgres ? BoundKind.AtMost : BoundKind.Reported;

    [Theory]
    [InlineData(DatabaseOptions.Postgres)]
    [InlineData(DatabaseOptions.Sqlite)]
    public async Task Every_list_read_on_one_large_organisation(string provider)
    {
        await using var seeded = await SeededDirectory.CreateAsync(provider, People);
        var directory = seeded.Directory;
        var organizationId = seeded.OrganizationId;
        var counts = await directory.CountsAsync(organizationId);
        Assert.Equal(People, counts.Total);

        var size = string.Create(CultureInfo.InvariantCulture, $"{People:N0} people");
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture,
            $"Support console on {provider}, {People:N0} people in one organisation (seeded in {seeded.SeedTime.TotalSeconds:F1} s); {Runs} runs each after one warm-up, bound {Bound.TotalMilliseconds:F0} ms; load average {Measurements.LoadAverage()}:");
        foreach (var (name, query) in await ReachabilityCases.AllAsync(directory, organizationId))
        {
            var page = await directory.ListAsync(organizationId, query);
            var expected = query.State is { } state && query.Search is null ? counts.ByState[state] : query.Search is null ? People : page.Total;
            Assert.Equal(expected, page.Total);
            Assert.True(page.Items.Count > 0, $"{name}: nothing matched");

            var times = new List<double>(Runs);
            for (var i = 0; i < Runs; i++)
            {
                var watch = Stopwatch.StartNew();
                await directory.ListAsync(organizationId, query);
                times.Add(watch.Elapsed.TotalMilliseconds);
            }

            report.AppendLine(Measurements.Timing(name, times, Bound, $"{page.Total:N0} matching"));
            Measurements.Figure($"console list on {provider}: {name}, p95", Measurements.Percentile(times, 0.95), "ms", Bound.TotalMilliseconds, BoundFor(provider), size);
        }

        var pollTimes = new List<double>(Runs);
        for (var i = 0; i < Runs; i++)
        {
            var watch = Stopwatch.StartNew();
            await directory.CountsAsync(organizationId);
            pollTimes.Add(watch.Elapsed.TotalMilliseconds);
        }

        report.AppendLine(Measurements.Timing("counts per state (the list's poll)", pollTimes, Bound));
        Measurements.Figure($"console list on {provider}: counts per state, p95", Measurements.Percentile(pollTimes, 0.95), "ms", Bound.TotalMilliseconds, BoundFor(provider), size);
        output.WriteLine(report.ToString());
        Measurements.Record($"support-console-{provider.ToLowerInvariant()}-{People}", report.ToString());
    }
}

/// <summary>The reads the console makes, with the cursors they need taken from real pages.</summary>
public static class ReachabilityCases
{
    public static async Task<IReadOnlyList<(string Name, ReachabilityQuery Query)>> AllAsync(ReachabilityDirectory directory, Guid organizationId)
    {
        var byName = new ReachabilityQuery();
        var first = await directory.ListAsync(organizationId, byName);
        var last = await directory.ListAsync(organizationId, byName with { Last = true });
        var beforeLast = await directory.ListAsync(organizationId, byName with { Before = last.FirstCursor });
        var cases = new List<(string, ReachabilityQuery)>
        {
            ("first page (by name)", byName),
            ("next page (after page 1)", byName with { After = first.LastCursor }),
            ("late page (after the next-to-last page)", byName with { After = beforeLast.FirstCursor }),
            ("previous page (before the last page)", byName with { Before = last.FirstCursor }),
            ("last page", byName with { Last = true }),
        };
        foreach (var sort in Enum.GetValues<ReachabilitySort>())
        {
            foreach (var descending in new[] { false, true })
            {
                var order = new ReachabilityQuery { Sort = sort, Descending = descending };
                var label = $"{sort}{(descending ? " desc" : "")}";
                cases.Add(($"by {label}, first page", order));
                cases.Add(($"by {label}, last page", order with { Last = true }));
            }
        }

        var newest = new ReachabilityQuery { Sort = ReachabilitySort.Changed, Descending = true };
        cases.Add(("by Changed desc, next page", newest with { After = (await directory.ListAsync(organizationId, newest)).LastCursor }));
        cases.Add(("search \"smith\"", byName with { Search = "smith" }));
        cases.Add(("search \"a.lee1\" (UPN part)", byName with { Search = "a.lee1" }));
        cases.Add(("search \"margaret j\"", byName with { Search = "margaret j" }));
        cases.Add(("search \"yuki\" (last in name order)", byName with { Search = "yuki" }));
        foreach (var state in Enum.GetValues<InstallationState>())
        {
            cases.Add(($"state {state}", byName with { State = state }));
        }

        cases.Add(("state Installed + search \"smith\"", byName with { State = InstallationState.Installed, Search = "smith" }));
        cases.Add(("state BlockedByPolicy + search \"white\"", byName with { State = InstallationState.BlockedByPolicy, Search = "white" }));
        cases.Add(("state Failed, by last change desc", new ReachabilityQuery { State = InstallationState.Failed, Sort = ReachabilitySort.Changed, Descending = true }));
        return cases;
    }
}

/// <summary>One organisation of generated people (plus an empty other one) on either database, seeded set-based.</summary>
public sealed class SeededDirectory : IAsyncDisposable
{
    private TestDatabase database = null!;
    private ServiceProvider services = null!;

    public Guid OrganizationId { get; } = Guid.NewGuid();

    public ReachabilityDirectory Directory { get; private set; } = null!;

    public IDbContextFactory<IncidentIoDbContext> Factory { get; private set; } = null!;

    public TestDatabase Database => database;

    public TimeSpan SeedTime { get; private set; }

    public static async Task<SeededDirectory> CreateAsync(string provider, int people)
    {
        var seeded = new SeededDirectory();
        seeded.database = await TestDatabase.CreateAsync(provider);
        seeded.services = seeded.database.BuildServices();
        await seeded.services.GetRequiredService<DatabaseMigrator>().MigrateAsync();
        seeded.Factory = seeded.services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>();
        seeded.Directory = new ReachabilityDirectory(seeded.Factory);
        var watch = Stopwatch.StartNew();
        await seeded.InsertPeopleAsync(provider == DatabaseOptions.Postgres, people);
        seeded.SeedTime = watch.Elapsed;
        return seeded;
    }

    public async ValueTask DisposeAsync()
    {
        await services.DisposeAsync();
        await database.DisposeAsync();
    }

    // Names from 20 × 25 common ones, states in realistic shares; the same rows on both databases.
    private const string First = "'Ada','Alan','Grace','Linus','Margaret','Dennis','Barbara','Ken','Frances','John','Mary','James','Priya','Wei','Fatima','Lars','Sofia','Diego','Amara','Yuki'";
    private const string Last = "'Smith','Jones','Taylor','Brown','Wilson','Evans','Thomas','Johnson','Roberts','Walker','Wright','Robinson','Thompson','White','Hughes','Edwards','Green','Hall','Wood','Harris','Martin','Jackson','Clarke','Lewis','Lee'";
    private const string Role = "CASE WHEN i % 1000 = 0 THEN 'Owner' WHEN i % 200 = 0 THEN 'Admin' WHEN i % 20 = 0 THEN 'Responder' ELSE 'Viewer' END";
    private const string State = """
        CASE WHEN i % 500 = 1 THEN 'BlockedByPolicy' WHEN i % 100 = 2 THEN 'NeverOpenedTeams' WHEN i % 1000 = 3 THEN 'NotInCatalog'
             WHEN i % 250 = 4 THEN 'Failed' WHEN i % 50 = 5 THEN 'Pending' WHEN i % 10 < 7 THEN 'Installed' ELSE 'NotInstalled' END
        """;

    private async Task InsertPeopleAsync(bool postgres, int people)
    {
        await using var db = await Factory.CreateDbContextAsync();
        var now = DateTimeOffset.UtcNow;
        db.Organizations.Add(new Organization { Id = OrganizationId, Name = "Bigcorp", MicrosoftTenantId = Guid.NewGuid(), CreatedAt = now, UpdatedAt = now });
        // Someone else's organisation in the same tables, as in production.
        db.Organizations.Add(new Organization { Name = "Other", MicrosoftTenantId = Guid.NewGuid(), CreatedAt = now, UpdatedAt = now });
        await db.SaveChangesAsync();
        db.Database.SetCommandTimeout(TimeSpan.FromMinutes(10));
        if (postgres)
        {
            var insert =
                $$"""
                 INSERT INTO users (id, organization_id, microsoft_object_id, display_name, user_principal_name, role, is_active, created_at,
                                    app_installation_state, app_installation_attempts, app_installation_changed_at, app_installation_verified_at,
                                    app_installation_next_attempt_at)
                 SELECT gen_random_uuid(), {0}, gen_random_uuid(), n.first || ' ' || n.last,
                        lower(n.first) || '.' || lower(n.last) || i || '@bigcorp.example', {{Role}}, i % 40 <> 0, now(), s.state,
                        CASE WHEN s.state = 'Pending' THEN 1 + i % 5 ELSE 0 END,
                        CASE WHEN s.state = 'NotInstalled' THEN NULL ELSE now() - make_interval(secs => i) END,
                        CASE WHEN s.state = 'Installed' THEN now() - make_interval(secs => i) END,
                        CASE WHEN s.state IN ('Pending', 'NeverOpenedTeams') THEN now() + make_interval(secs => i) END
                 FROM generate_series(1, {1}) AS i
                 CROSS JOIN LATERAL (SELECT (ARRAY[{{First}}])[1 + (i * 7) % 20] AS first, (ARRAY[{{Last}}])[1 + (i * 13) % 25] AS last) AS n
                 CROSS JOIN LATERAL (SELECT {{State}} AS state) AS s
                 """;
            await db.Database.ExecuteSqlRawAsync(insert, OrganizationId, people);
            // What autovacuum would have done by the time anyone looks: statistics and the visibility map.
            await db.Database.ExecuteSqlRawAsync("VACUUM ANALYZE users");
            return;
        }

        // SQLite stores instants as DateTimeOffsetToBinaryConverter's numbers and ids as upper-case text.
        var converter = new DateTimeOffsetToBinaryConverter();
        var nowNumber = (long)converter.ConvertToProvider(now)!;
        var second = nowNumber - (long)converter.ConvertToProvider(now.AddSeconds(-1))!;
        const string NewId = "hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(2)) || '-' || hex(randomblob(6))";
        var firstNames = First.Replace('\'', '"');
        var lastNames = Last.Replace('\'', '"');
        var organization = $"'{OrganizationId.ToString().ToUpperInvariant()}'";
        var sqliteInsert =
            $"""
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {people})
             INSERT INTO users (id, organization_id, microsoft_object_id, display_name, user_principal_name, role, is_active, created_at,
                                app_installation_state, app_installation_attempts, app_installation_changed_at, app_installation_verified_at,
                                app_installation_next_attempt_at)
             SELECT {NewId}, {organization}, {NewId}, first || ' ' || last, lower(first) || '.' || lower(last) || i || '@bigcorp.example', role, i % 40 <> 0, {nowNumber},
                    state, CASE WHEN state = 'Pending' THEN 1 + i % 5 ELSE 0 END,
                    CASE WHEN state = 'NotInstalled' THEN NULL ELSE {nowNumber} - i * {second} END,
                    CASE WHEN state = 'Installed' THEN {nowNumber} - i * {second} END,
                    CASE WHEN state IN ('Pending', 'NeverOpenedTeams') THEN {nowNumber} + i * {second} END
             FROM (SELECT i, json_extract('[{firstNames}]', '$[' || ((i * 7) % 20) || ']') AS first,
                          json_extract('[{lastNames}]', '$[' || ((i * 13) % 25) || ']') AS last,
                          {Role} AS role, {State} AS state
                   FROM n)
             """;
        await db.Database.ExecuteSqlRawAsync(sqliteInsert);
        await db.Database.ExecuteSqlRawAsync("ANALYZE");
    }
}
