using Bunit;
using IncidentIo.Domain;
using IncidentIo.Portal.Operations;
using Microsoft.Extensions.Hosting;
using MudBlazor.Services;

namespace IncidentIo.Portal.Tests.Operations;

/// <summary>The page against the product's real services: SQLite, in-memory job storage and a job server.</summary>
public sealed class SystemStatusPageTests : ValidatedBunitContext, IAsyncLifetime
{
    private readonly string dataFolder = Directory.CreateTempSubdirectory("incidentio-status-").FullName;
    private IHost host = null!;

    public async Task InitializeAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["DataFolder"] = dataFolder;
        builder.Configuration["Jobs:WorkerCount"] = "2";
        builder.AddIncidentIoDomain("portal", runJobServer: true);
        host = builder.Build();
        await host.Services.PrepareIncidentIoAsync();

        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddFallbackServiceProvider(host.Services);
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await host.StopAsync();
        host.Dispose();
        await DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(dataFolder, recursive: true);
    }

    [Fact]
    public async Task A_job_server_that_starts_while_the_page_is_open_appears_without_a_reload()
    {
        var page = Render<SystemStatusPage>();

        Assert.Equal("Sqlite", page.Find("[data-testid=database-provider]").TextContent.Trim());
        Assert.Equal("InProcess", page.Find("[data-testid=job-mode]").TextContent.Trim());
        Assert.Contains("No job server is running", page.Markup, StringComparison.Ordinal);

        await host.StartAsync();

        // The job server announces itself asynchronously and the page polls: on a busy machine that takes more than bUnit's default second.
        page.WaitForAssertion(() => Assert.Contains("portal ", page.Find("[data-testid=job-servers]").TextContent, StringComparison.Ordinal), TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task Running_a_heartbeat_shows_which_server_picked_it_up_and_how_fast()
    {
        await host.StartAsync();
        var page = Render<SystemStatusPage>();

        page.Find("[data-testid=run-heartbeat]").Click();

        page.WaitForAssertion(
            () => Assert.Matches(@"^Picked up by portal \S+ after \d+ ms\.$", page.Find("[data-testid=heartbeat-result]").TextContent.Trim()),
            TimeSpan.FromSeconds(15));
        Assert.Contains("OnDemand", page.Find("[data-testid=heartbeats]").TextContent, StringComparison.Ordinal);
    }
}
