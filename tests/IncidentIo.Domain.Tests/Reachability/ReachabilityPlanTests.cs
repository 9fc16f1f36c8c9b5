using System.Data.Common;
using System.Globalization;
using System.Text;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.Reachability;
using IncidentIo.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;
using Xunit.Abstractions;

namespace IncidentIo.Domain.Tests.Reachability;

/// <summary>
/// What PostgreSQL does for each of the console's reads on 100,000 people, from EXPLAIN (ANALYZE)
/// of the exact commands EF Core sends: page reads seek an index (never a whole-table scan and
/// never a sort of the organisation), searches go through the trigram indexes. The plans are
/// written to artifacts/measurements.
/// </summary>
public sealed class ReachabilityPlanTests(ITestOutputHelper output)
{
    private const int People = 100_000;

    [Fact]
    public async Task Every_list_read_seeks_an_index_and_searches_use_the_trigram_indexes()
    {
        await using var seeded = await SeededDirectory.CreateAsync(DatabaseOptions.Postgres, People);
        var explainer = new ExplainingInterceptor();
        var options = new DbContextOptionsBuilder<PostgresIncidentIoDbContext>().UseNpgsql(seeded.Database.ConnectionString).AddInterceptors(explainer).Options;
        var directory = new ReachabilityDirectory(new ExplainedFactory(options));

        var report = new StringBuilder($"Plans of the support console's reads on PostgreSQL, {People:N0} people (EXPLAIN ANALYZE of each command EF Core sends):\n");
        foreach (var (name, query) in await ReachabilityCases.AllAsync(seeded.Directory, seeded.OrganizationId))
        {
            explainer.Plans.Clear();
            var read = await directory.ListAsync(seeded.OrganizationId, query);
            var count = explainer.Plans[0];
            var pages = explainer.Plans.Skip(1).ToList();
            report.AppendLine(CultureInfo.InvariantCulture, $"  {name}:");
            report.AppendLine(CultureInfo.InvariantCulture, $"    count: {Summary(count)}");
            foreach (var plan in pages)
            {
                report.AppendLine(CultureInfo.InvariantCulture, $"    page:  {Summary(plan)}");
            }

            Assert.NotEmpty(pages);
            // A segment the statistics say is empty (no one without a UPN) may be checked with a
            // scan that stops at once; every segment that returns rows must seek an index.
            var found = pages.Where(p => !p.Split('\n')[0].Contains("rows=0 ", StringComparison.Ordinal)).ToList();
            Assert.All(found, plan => Assert.False(plan.Contains("Seq Scan on users", StringComparison.Ordinal), $"{name}: {plan}"));
            if (query.Search is null && query.State is null && query.After is null && query.Before is null)
            {
                // Unfiltered, the first and last pages walk an index in order and stop: no sort of
                // everyone. (After a cursor the planner may instead OR the index's two ranges past it
                // and sort those few rows; filtered to a small state, fetch that state and sort it.)
                Assert.All(found, plan => Assert.False(plan.Contains("Sort Method", StringComparison.Ordinal), $"{name}: {plan}"));
            }
            else if (query.Search is not null && query.State is null && read.Total <= ReachabilityDirectory.SortMatchesUpTo)
            {
                Assert.True(count.Contains("_trgm", StringComparison.Ordinal), $"{name}: {count}");
                // The page too: its matches fetched through the trigram indexes and sorted, not
                // found by walking the organisation in name order.
                Assert.All(found, plan => Assert.True(plan.Contains("_trgm", StringComparison.Ordinal), $"{name}: {plan}"));
            }
        }

        explainer.Plans.Clear();
        await directory.CountsAsync(seeded.OrganizationId);
        var counts = Assert.Single(explainer.Plans);
        report.AppendLine(CultureInfo.InvariantCulture, $"  counts per state: {Summary(counts)}");
        // One index-only scan of the covering index, in group order: no other index's plain scan
        // (which PostgreSQL priced lower while pages were not yet all-visible, at 4x the time), no
        // table, no sort.
        Assert.Contains("Index Only Scan using ix_users_installation_counts", counts, StringComparison.Ordinal);
        Assert.False(counts.Contains("Seq Scan on users", StringComparison.Ordinal), counts);
        Assert.False(counts.Contains("Sort Method", StringComparison.Ordinal), counts);

        output.WriteLine(report.ToString());
        Measurements.Record("support-console-plans", report.ToString());
    }

    /// <summary>The plan's nodes and the indexes they use, one line.</summary>
    private static string Summary(string plan) => string.Join(" > ", plan.Split('\n')
        .Select(l => l.Trim().TrimStart('-', '>', ' '))
        .Where(l => l.Contains("Scan", StringComparison.Ordinal) || l.StartsWith("Sort ", StringComparison.Ordinal) || l.StartsWith("Limit", StringComparison.Ordinal) || l.Contains("Aggregate", StringComparison.Ordinal) || l.StartsWith("BitmapOr", StringComparison.Ordinal) || l.StartsWith("BitmapAnd", StringComparison.Ordinal))
        .Select(l => l.Split("  (", 2)[0]));

    private sealed class ExplainedFactory(DbContextOptions<PostgresIncidentIoDbContext> options) : IDbContextFactory<IncidentIoDbContext>
    {
        public IncidentIoDbContext CreateDbContext() => new PostgresIncidentIoDbContext(options);
    }

    /// <summary>Before each query, runs EXPLAIN (ANALYZE) of the same command with the same parameters and keeps the plan.</summary>
    private sealed class ExplainingInterceptor : DbCommandInterceptor
    {
        public List<string> Plans { get; } = [];

        public override async ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            await using var explain = (NpgsqlCommand)command.Connection!.CreateCommand();
            explain.Transaction = (NpgsqlTransaction?)command.Transaction;
#pragma warning disable CA2100 // The command is EF Core's own, parameters kept apart.
            explain.CommandText = "EXPLAIN (ANALYZE, COSTS OFF) " + command.CommandText;
#pragma warning restore CA2100
            foreach (NpgsqlParameter parameter in command.Parameters)
            {
                explain.Parameters.Add(parameter.Clone());
            }

            var plan = new StringBuilder();
            await using (var reader = await explain.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    plan.AppendLine(reader.GetString(0));
                }
            }

            Plans.Add(plan.ToString());
            return result;
        }
    }
}
