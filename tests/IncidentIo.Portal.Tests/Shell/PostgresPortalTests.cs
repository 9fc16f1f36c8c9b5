using System.Net;
using System.Text.Json;

namespace IncidentIo.Portal.Tests.Shell;

public sealed class PostgresPortalTests
{
    [Fact]
    public async Task On_postgres_the_portal_migrates_and_reports_healthy()
    {
        await using var portal = await PortalFactory.OnPostgresAsync();

        var response = await portal.CreateHealthClient().GetAsync("/healthz");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var database = body.RootElement.GetProperty("checks").GetProperty("database");
        Assert.Equal("Healthy", database.GetProperty("status").GetString());
        Assert.Contains("Npgsql", database.GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task In_distributed_mode_without_workers_health_says_jobs_will_wait()
    {
        await using var portal = await PortalFactory.OnPostgresAsync(jobMode: "Distributed");

        var response = await portal.CreateHealthClient().GetAsync("/healthz");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        // Degraded, not down: the portal itself serves; jobs queue until a worker starts.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var jobs = body.RootElement.GetProperty("checks").GetProperty("jobs");
        Assert.Equal("Degraded", jobs.GetProperty("status").GetString());
        Assert.Equal(0, jobs.GetProperty("data").GetProperty("servers").GetInt32());
        Assert.Contains("no job server", jobs.GetProperty("description").GetString(), StringComparison.Ordinal);
    }
}
