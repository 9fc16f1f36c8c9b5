using System.Text.Json;
using IncidentIo.Domain;
using IncidentIo.Domain.Jobs;
using IncidentIo.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace IncidentIo.Worker.Tests.Hosting;

/// <summary>The Worker as operators run it: a real process against a real PostgreSQL.</summary>
public sealed class WorkerProcessTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private const string HealthKey = "worker-health-key-for-tests";

    [Fact]
    public async Task It_runs_a_job_that_another_process_enqueued_and_reports_healthy()
    {
        var connectionString = await (await PostgresCluster.GetAsync()).CreateDatabaseAsync("worker");
        var port = FreePort.Next();
        await using var worker = ProductProcess.Start("IncidentIo.Worker", new Dictionary<string, string?>
        {
            ["ConnectionStrings__IncidentIo"] = connectionString,
            ["Urls"] = $"http://127.0.0.1:{port}",
            ["Jobs__WorkerCount"] = "2",
            ["Logging__Console__FormatterName"] = "json",
            ["Health__DetailsKey"] = HealthKey,
        });
        await worker.WaitForOutputAsync("IncidentIo worker is running", StartTimeout);

        // Enqueue the way the Portal does in distributed mode: same registration, no job server.
        using var portal = BuildEnqueuingPortal(connectionString);
        var heartbeats = portal.Services.GetRequiredService<HeartbeatRequests>();
        var id = await heartbeats.RequestAsync() ?? throw new InvalidOperationException("The first heartbeat is never over the limit.");

        var executed = await WaitUntilExecutedAsync(heartbeats, id);
        Assert.StartsWith("worker ", executed.ExecutedBy, StringComparison.Ordinal);
        Assert.StartsWith("portal ", executed.RequestedBy, StringComparison.Ordinal);
        Assert.NotNull(executed.JobId);

        // Structured logs: the job's log line carries its job id in a scope.
        await worker.WaitForOutputAsync($"Heartbeat {id} picked up", TimeSpan.FromSeconds(10));
        var logLine = worker.Output.Split('\n').First(l => l.Contains($"Heartbeat {id} picked up", StringComparison.Ordinal));
        using var log = JsonDocument.Parse(logLine);
        Assert.Contains(log.RootElement.GetProperty("Scopes").EnumerateArray(),
            scope => scope.TryGetProperty("JobId", out var jobId) && jobId.GetString() == executed.JobId);

        using var http = new HttpClient();
        using var anonymous = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/healthz"));
        Assert.Equal("Healthy", anonymous.RootElement.GetProperty("status").GetString());
        Assert.False(anonymous.RootElement.TryGetProperty("checks", out _), "Without the key only the status is told.");

        http.DefaultRequestHeaders.Add("X-Health-Key", HealthKey);
        using var health = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/healthz"));
        Assert.Equal(1, health.RootElement.GetProperty("checks").GetProperty("jobs").GetProperty("data").GetProperty("servers").GetInt32());
    }

    [Fact]
    public async Task It_refuses_the_embedded_configuration_in_one_line_and_creates_nothing()
    {
        var dataFolder = Path.Combine(Path.GetTempPath(), $"incidentio-worker-{Guid.NewGuid():N}");
        await using var worker = ProductProcess.Start("IncidentIo.Worker", new Dictionary<string, string?>
        {
            ["Database__Provider"] = "Sqlite",
            ["Jobs__Mode"] = "InProcess",
            ["DataFolder"] = dataFolder,
        });

        Assert.Equal(1, await worker.WaitForExitAsync(StartTimeout));
        var line = Assert.Single(worker.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("IncidentIo.Worker cannot start: ", line, StringComparison.Ordinal);
        Assert.Contains("set Jobs:Mode to 'Distributed'", line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dataFolder));
    }

    [Fact]
    public async Task It_says_which_database_it_cannot_reach()
    {
        var closedPort = FreePort.Next();
        await using var worker = ProductProcess.Start("IncidentIo.Worker", new Dictionary<string, string?>
        {
            ["ConnectionStrings__IncidentIo"] = $"Host=127.0.0.1;Port={closedPort};Username=postgres;Database=incidentio;Timeout=3",
        });

        Assert.Equal(1, await worker.WaitForExitAsync(StartTimeout));
        var line = Assert.Single(worker.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.Contains("cannot start", StringComparison.Ordinal));
        Assert.StartsWith($"IncidentIo.Worker cannot start: the Postgres database cannot be reached (host 127.0.0.1, port {closedPort}, database incidentio)", line, StringComparison.Ordinal);
    }

    private static IHost BuildEnqueuingPortal(string connectionString)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["Database:Provider"] = "Postgres";
        builder.Configuration["ConnectionStrings:IncidentIo"] = connectionString;
        builder.Configuration["Jobs:Mode"] = "Distributed";
        builder.AddIncidentIoDomain("portal", runJobServer: false);
        return builder.Build();
    }

    private static async Task<JobHeartbeat> WaitUntilExecutedAsync(HeartbeatRequests heartbeats, Guid id)
    {
        var giveUp = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < giveUp)
        {
            if (await heartbeats.FindAsync(id) is { ExecutedAt: not null } done)
            {
                return done;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"Heartbeat {id} was not executed within 30 s.");
    }
}
