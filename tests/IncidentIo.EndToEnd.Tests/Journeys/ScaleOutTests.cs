using System.Globalization;
using System.Text;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Jobs;
using IncidentIo.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;

namespace IncidentIo.EndToEnd.Tests.Journeys;

/// <summary>
/// Production shape on loopback: two Portals and two Workers against one PostgreSQL. Jobs asked
/// for in either Portal's browser page are run by the Workers, spread over both, within a second.
/// </summary>
public sealed class ScaleOutTests : IAsyncLifetime
{
    private const int ClicksPerPortal = 10;
    private readonly List<ProductProcess> processes = [];
    private readonly List<string> portalUrls = [];
    private readonly string dataFolder = Path.Combine(Path.GetTempPath(), $"incidentio-scaleout-{Guid.NewGuid():N}");
    private string connectionString = null!;
    private Browser browser = null!;

    public async Task InitializeAsync()
    {
        connectionString = await (await PostgresCluster.GetAsync()).CreateDatabaseAsync("scaleout");
        var shared = new Dictionary<string, string?>
        {
            ["Database__Provider"] = "Postgres",
            ["ConnectionStrings__IncidentIo"] = connectionString,
            ["Jobs__Mode"] = "Distributed",
            ["Jobs__WorkerCount"] = "4",
            ["DataFolder"] = dataFolder,
        };

        // All four start at once: migrations and the job schema must cope with that.
        var workers = Enumerable.Range(0, 2).Select(async _ =>
        {
            var worker = ProductProcess.Start("IncidentIo.Worker", new Dictionary<string, string?>(shared) { ["Urls"] = $"http://127.0.0.1:{FreePort.Next()}" });
            lock (processes)
            {
                processes.Add(worker);
            }

            await worker.WaitForOutputAsync("IncidentIo worker is running", TimeSpan.FromSeconds(90));
        });
        var portals = Enumerable.Range(0, 2).Select(async _ =>
        {
            var (portal, url, _) = await PortalProcess.StartAsync(shared);
            lock (processes)
            {
                processes.Add(portal);
                portalUrls.Add(url);
            }
        });
        await Task.WhenAll(workers.Concat(portals));
        browser = await Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        if (browser is not null)
        {
            await browser.DisposeAsync();
        }

        foreach (var process in processes)
        {
            await process.DisposeAsync();
        }

        if (Directory.Exists(dataFolder))
        {
            Directory.Delete(dataFolder, recursive: true);
        }
    }

    [Fact]
    public async Task Jobs_from_both_portals_run_on_both_workers_within_a_second()
    {
        var pages = new List<IPage>();
        foreach (var url in portalUrls)
        {
            // Operators only: in Production that is our support staff, signed in.
            var page = await browser.NewPageAsync();
            await page.GotoAsync($"{url}/signin?returnUrl=%2Fsystem");
            await page.GetByLabel("Email").FillAsync("staff@incidentio.example");
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await page.WaitForLoadStateAsync();
            var accept = page.GetByRole(AriaRole.Button, new() { Name = "Accept" });
            if (!page.Url.StartsWith(url, StringComparison.Ordinal) && await accept.CountAsync() > 0)
            {
                await accept.ClickAsync();
            }

            await page.WaitForURLAsync($"{url}/system", new() { Timeout = 30_000 });
            await Browser.WaitForCircuitAsync(page);
            await Assertions.Expect(page.GetByTestId("job-mode")).ToHaveTextAsync("Distributed");
            await Assertions.Expect(page.GetByTestId("job-servers").Locator("tbody tr")).ToHaveCountAsync(2);
            pages.Add(page);
        }

        var clicked = 0;
        for (var click = 0; click < ClicksPerPortal; click++)
        {
            foreach (var page in pages)
            {
                await page.GetByTestId("run-heartbeat").ClickAsync();
                clicked++;
                // The page shows the previous click's result, and its button enabled, until this
                // click's render arrives; a click on a button the server already disabled is ignored.
                // So: this heartbeat has run, then the page has finished waiting for it.
                await WaitForHeartbeatsRunAsync(clicked);
                await Assertions.Expect(page.GetByTestId("run-heartbeat")).ToBeEnabledAsync(new() { Timeout = 20_000 });
                await Assertions.Expect(page.GetByTestId("heartbeat-result")).ToHaveTextAsync(
                    new System.Text.RegularExpressions.Regex(@"^Picked up by worker "), new() { Timeout = 20_000 });
            }
        }

        await Browser.ScreenshotAsync(pages[0], "scale-out-system-status");

        await using var db = NewContext();
        var heartbeats = await db.JobHeartbeats.AsNoTracking().Where(h => h.Trigger == HeartbeatTrigger.OnDemand).ToListAsync();
        Assert.Equal(ClicksPerPortal * portalUrls.Count, heartbeats.Count);
        Assert.All(heartbeats, h => Assert.StartsWith("worker ", h.ExecutedBy, StringComparison.Ordinal));
        Assert.Equal(2, heartbeats.Select(h => h.RequestedBy).Distinct().Count());
        Assert.Equal(2, heartbeats.Select(h => h.ExecutedBy).Distinct().Count());

        var latencies = heartbeats.Select(h => h.PickupLatency!.Value.TotalMilliseconds).Order().ToList();
        var median = latencies[latencies.Count / 2];
        // A worker's first job also pays for its cold start (JIT, EF Core model, connections).
        var warm = heartbeats.GroupBy(h => h.ExecutedBy).SelectMany(g => g.OrderBy(h => h.ExecutedAt).Skip(1))
            .Select(h => h.PickupLatency!.Value.TotalMilliseconds).Order().ToList();
        Measurements.Record("scale-out-job-pickup", new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"Job pickup, click in Portal -> job running in Worker, over PostgreSQL (2 portals, 2 workers, {latencies.Count} jobs):")
            .AppendLine(CultureInfo.InvariantCulture, $"  all:  median {median:F0} ms, p90 {latencies[(int)(latencies.Count * 0.9)]:F0} ms, max {latencies[^1]:F0} ms; bound 1000 ms; median/bound = {median / 1000:F3}")
            .AppendLine(CultureInfo.InvariantCulture, $"  warm (each worker's first job left out): median {warm[warm.Count / 2]:F0} ms, max {warm[^1]:F0} ms")
            .AppendLine(CultureInfo.InvariantCulture, $"  where the time goes (medians): {await BreakdownAsync(db, heartbeats)}")
            .AppendLine(CultureInfo.InvariantCulture, $"  jobs per worker: {string.Join(", ", heartbeats.GroupBy(h => h.ExecutedBy).Select(g => g.Count()))}")
            .ToString());
        Assert.True(median < 1000, $"Median pickup {median:F0} ms; the bound is one second.");

        // Keys live in the shared database, where every portal reads them (processes starting at
        // the same moment may each add one; all are valid for all).
        Assert.InRange(await db.DataProtectionKeys.CountAsync(), 1, processes.Count);
    }

    /// <summary>Request -> enqueued (Portal), enqueued -> processing (Worker fetch), processing -> job code running.</summary>
    private static async Task<string> BreakdownAsync(PostgresIncidentIoDbContext db, IReadOnlyList<JobHeartbeat> heartbeats)
    {
        var connection = (Npgsql.NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync();
        var states = new Dictionary<(long Job, string State), DateTime>();
        await using (var command = new Npgsql.NpgsqlCommand("select jobid, name, createdat from hangfire.state where name in ('Enqueued','Processing')", connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                states[(reader.GetInt64(0), reader.GetString(1))] = DateTime.SpecifyKind(reader.GetDateTime(2), DateTimeKind.Utc);
            }
        }

        var enqueue = new List<double>();
        var fetch = new List<double>();
        var start = new List<double>();
        foreach (var heartbeat in heartbeats)
        {
            var job = long.Parse(heartbeat.JobId!, CultureInfo.InvariantCulture);
            if (states.TryGetValue((job, "Enqueued"), out var enqueued) && states.TryGetValue((job, "Processing"), out var processing))
            {
                enqueue.Add((enqueued - heartbeat.RequestedAt.UtcDateTime).TotalMilliseconds);
                fetch.Add((processing - enqueued).TotalMilliseconds);
                start.Add((heartbeat.ExecutedAt!.Value.UtcDateTime - processing).TotalMilliseconds);
            }
        }

        static double Median(List<double> values) => values.Count == 0 ? double.NaN : values.Order().ElementAt(values.Count / 2);
        return string.Create(CultureInfo.InvariantCulture,
            $"request->enqueued {Median(enqueue):F0} ms, enqueued->fetched {Median(fetch):F0} ms (max {(fetch.Count == 0 ? 0 : fetch.Max()):F0}), fetched->running {Median(start):F0} ms");
    }

    private async Task WaitForHeartbeatsRunAsync(int count)
    {
        var giveUpAt = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            await using var db = NewContext();
            var run = await db.JobHeartbeats.CountAsync(h => h.Trigger == HeartbeatTrigger.OnDemand && h.ExecutedAt != null);
            if (run >= count)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < giveUpAt, $"{run} of {count} heartbeats asked for had run after 20 s.");
            await Task.Delay(50);
        }
    }

    private PostgresIncidentIoDbContext NewContext() =>
        new(new DbContextOptionsBuilder<PostgresIncidentIoDbContext>().UseNpgsql(connectionString).Options);
}
