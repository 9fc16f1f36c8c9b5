using System.Security.Claims;
using Bunit;
using IncidentIo.Domain;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.Jobs;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Portal.Operations;
using IncidentIo.Portal.Setup;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
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
        Services.AddSingleton(new OperatorAccess(
            Options.Create(new SupportOptions { StaffTenantId = SandboxDefaults.StaffTenantId }), host.Services.GetRequiredService<IHostEnvironment>()));
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

    private void SignInAs(string tenantId, string? role)
    {
        AddAuthorization().SetAuthorized("Sam Staff").SetClaims(
        [
            new Claim("http://schemas.microsoft.com/identity/claims/tenantid", tenantId),
            new Claim("http://schemas.microsoft.com/identity/claims/objectidentifier", Guid.NewGuid().ToString()),
            .. role is null ? Array.Empty<Claim>() : [new Claim("roles", role), new Claim(ClaimTypes.Role, role)],
        ]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("c0a7050c-0000-4000-8000-000000000000")]
    public async Task Anyone_but_staff_sees_that_the_page_is_for_operators_and_cannot_queue_a_heartbeat(string? tenantId)
    {
        if (tenantId is null)
        {
            AddAuthorization();
        }
        else
        {
            SignInAs(tenantId, role: null);
        }

        await host.StartAsync();
        var page = Render<SystemStatusPage>();

        Assert.NotNull(page.Find("[data-testid=operators-only]"));
        Assert.Empty(page.FindAll("[data-testid=run-heartbeat]"));
        Assert.Empty(page.FindAll("[data-testid=job-servers]"));
        Assert.Empty(await host.Services.GetRequiredService<HeartbeatRequests>().RecentAsync(10));
    }

    [Fact]
    public async Task Heartbeats_asked_for_beyond_the_limit_are_refused_and_queue_nothing()
    {
        var heartbeats = host.Services.GetRequiredService<HeartbeatRequests>();
        var limit = host.Services.GetRequiredService<IOptions<JobsOptions>>().Value.OnDemandHeartbeatsPerMinute;
        for (var i = 0; i < limit; i++)
        {
            Assert.NotNull(await heartbeats.RequestAsync());
        }

        Assert.Null(await heartbeats.RequestAsync());
        Assert.Equal(limit, (await heartbeats.RecentAsync(limit + 10)).Count);
    }

    [Fact]
    public async Task A_job_server_that_starts_while_the_page_is_open_appears_without_a_reload()
    {
        SignInAs(SandboxDefaults.StaffTenantId, "Support.Staff");
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
        SignInAs(SandboxDefaults.StaffTenantId, "Support.Staff");
        await host.StartAsync();
        var page = Render<SystemStatusPage>();

        page.Find("[data-testid=run-heartbeat]").Click();

        page.WaitForAssertion(
            () => Assert.Matches(@"^Picked up by portal \S+ after \d+ ms\.$", page.Find("[data-testid=heartbeat-result]").TextContent.Trim()),
            TimeSpan.FromSeconds(15));
        Assert.Contains("OnDemand", page.Find("[data-testid=heartbeats]").TextContent, StringComparison.Ordinal);
    }
}
