using System.Diagnostics;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.Setup.AutomaticInstall;
using IncidentIo.Domain.Tests.TeamsApp;
using IncidentIo.Sandbox.Faults;
using IncidentIo.Sandbox.State;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;
using Install = IncidentIo.Domain.Setup.AutomaticInstall.AutomaticInstall;
using Organization = IncidentIo.Domain.Organizations.Organization;

namespace IncidentIo.Domain.Tests.Setup.AutomaticInstall;

public sealed class AutomaticInstallTests(ITestOutputHelper output)
{
    private static readonly Guid Contoso = AutomaticInstallHarness.Contoso;

    [Theory]
    [InlineData(DatabaseOptions.Sqlite)]
    [InlineData(DatabaseOptions.Postgres)]
    public async Task Creates_one_team_installs_the_app_pins_the_tab_and_audits_every_graph_call(string provider)
    {
        await using var harness = await AutomaticInstallHarness.StartAsync(provider);
        harness.GrantSetupApp();

        var install = await harness.StartAndRunAsync();

        Assert.Equal(AutomaticInstallStatus.Succeeded, install.Status);
        Assert.All(install.Steps, step =>
        {
            Assert.Equal(StepState.Succeeded, step.State);
            Assert.NotNull(step.StartedAt);
            Assert.True(step.FinishedAt >= step.StartedAt);
            Assert.False(string.IsNullOrEmpty(step.Detail));
        });
        var team = Assert.Single(harness.TeamsNamed("Incidents"));
        Assert.Equal(team.Id.ToString(), install.TeamId);
        AssertAppAndTab(harness, team.Id);
        Assert.Equal(SetupStage.TeamsAppInstalled, await harness.StageAsync());

        var calls = await harness.GraphCallsAsync();
        output.WriteLine(string.Join('\n', calls));
        Assert.Single(calls, c => c.StartsWith("POST /v1.0/teams →", StringComparison.Ordinal));
        Assert.Contains(calls, c => c.StartsWith("POST /v1.0/teams → 202", StringComparison.Ordinal) && c.Contains("request-id", StringComparison.Ordinal));
        Assert.Contains(calls, c => c.Contains("/installedApps → 200", StringComparison.Ordinal) && c.StartsWith("POST", StringComparison.Ordinal));
        Assert.Contains(calls, c => c.Contains("/tabs → 201", StringComparison.Ordinal));

        // Starting again once done changes nothing and enqueues nothing.
        Assert.Null(await harness.Installs.StartAsync(harness.Admin));
        Assert.Empty(harness.Jobs.TakeInstallIds());
    }

    [Theory]
    [MemberData(nameof(CatalogDistributions.All), MemberType = typeof(CatalogDistributions))]
    public async Task Completes_with_our_app_from_the_store_the_tenants_own_catalog_or_both(string distribution)
    {
        await using var harness = await AutomaticInstallHarness.StartAsync(distribution: distribution);
        harness.GrantSetupApp();
        var expected = harness.Sandbox.State.Teams.CatalogApps(Contoso).Where(a => a.ManifestId == harness.TeamsApp.AppId)
            .OrderBy(a => a.DistributionMethod == TeamsAppDistribution.Store ? 1 : 0).First();

        var install = await harness.StartAndRunAsync();

        Assert.Equal(AutomaticInstallStatus.Succeeded, install.Status);
        var team = Assert.Single(harness.TeamsNamed("Incidents"));
        AssertAppAndTab(harness, team.Id);
        Assert.Equal(distribution == CatalogDistributions.Both ? TeamsAppDistribution.Organization : distribution, expected.DistributionMethod);
        var organization = await OrganizationAsync(harness);
        Assert.Equal(expected.Id.ToString(), organization.TeamsAppCatalogId);
        Assert.Equal(expected.DistributionMethod, organization.TeamsAppDistribution);
    }

    [Fact]
    public async Task An_install_refused_404_because_the_remembered_catalog_entry_is_gone_asks_the_catalog_again_and_installs()
    {
        await using var harness = await AutomaticInstallHarness.StartAsync(distribution: CatalogDistributions.Store);
        harness.GrantSetupApp();
        // Remembered from before: an upload the tenant has since removed (it now has our app from the Store only).
        var removed = Guid.NewGuid().ToString();
        await using (var db = await harness.Services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>().CreateDbContextAsync())
        {
            await db.Organizations.Where(o => o.Id == harness.OrganizationId).ExecuteUpdateAsync(s => s
                .SetProperty(o => o.TeamsAppCatalogId, removed)
                .SetProperty(o => o.TeamsAppDistribution, "organization")
                .SetProperty(o => o.TeamsAppCatalogCheckedAt, DateTimeOffset.UtcNow));
        }

        var install = await harness.StartAndRunAsync();

        Assert.Equal(AutomaticInstallStatus.Succeeded, install.Status);
        AssertAppAndTab(harness, Assert.Single(harness.TeamsNamed("Incidents")).Id);
        var calls = await harness.GraphCallsAsync();
        Assert.Contains(calls, c => c.StartsWith("POST", StringComparison.Ordinal) && c.Contains("/installedApps → 404", StringComparison.Ordinal));
        var organization = await OrganizationAsync(harness);
        Assert.Equal(harness.TeamsApp.AppId, organization.TeamsAppCatalogId);
        Assert.Equal("store", organization.TeamsAppDistribution);
    }

    [Fact]
    public async Task An_existing_Incidents_team_is_used_rather_than_a_second_created()
    {
        await using var harness = await AutomaticInstallHarness.StartAsync();
        harness.GrantSetupApp();
        var existing = harness.Sandbox.State.Teams.CreateTeam(Contoso, "Incidents", "Ours already", [(DemoSeed.AdminId, true)]);

        var install = await harness.StartAndRunAsync();

        Assert.Equal(AutomaticInstallStatus.Succeeded, install.Status);
        Assert.Equal(existing.Id.ToString(), install.TeamId);
        Assert.Single(harness.TeamsNamed("Incidents"));
        Assert.Contains("existing team", install.Step(AutomaticInstallStepKind.FindOrCreateTeam).Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(await harness.GraphCallsAsync(), c => c.StartsWith("POST /v1.0/teams →", StringComparison.Ordinal));
        AssertAppAndTab(harness, existing.Id);
    }

    [Fact]
    public async Task Team_creation_failing_fails_the_wait_step_with_teams_reason_and_a_retry_creates_it()
    {
        await using var harness = await AutomaticInstallHarness.StartAsync();
        harness.GrantSetupApp();
        harness.Sandbox.State.Teams.Configure(Contoso, s => s with { CreateTeamFailure = new TeamsOperationError("TeamCreationFailed", "The group's mailbox could not be provisioned.") });

        var failed = await harness.StartAndRunAsync();

        Assert.Equal(AutomaticInstallStatus.Failed, failed.Status);
        var wait = failed.Step(AutomaticInstallStepKind.WaitForTeam);
        Assert.Equal(StepState.Failed, wait.State);
        Assert.Contains("mailbox could not be provisioned", wait.Error, StringComparison.Ordinal);
        Assert.Equal(StepState.Pending, failed.Step(AutomaticInstallStepKind.InstallApp).State);
        Assert.Null(failed.TeamId);
        Assert.Equal(SetupStage.GlobalPermissionsGranted, await harness.StageAsync());

        harness.Sandbox.State.Teams.Configure(Contoso, s => s with { CreateTeamFailure = null });
        var retried = await harness.StartAndRunAsync();

        Assert.Equal(AutomaticInstallStatus.Succeeded, retried.Status);
        var ready = Assert.Single(harness.Sandbox.State.Teams.Teams(Contoso), t => t.DisplayName == "Incidents");
        Assert.Equal(ready.Id.ToString(), retried.TeamId);
        Assert.Equal(2, harness.TeamsNamed("Incidents").Count); // the failed creation stays, unreadable, as in Teams
        AssertAppAndTab(harness, ready.Id);
    }

    [Fact]
    public async Task An_app_install_403_stops_with_advice_and_the_request_id_and_a_retry_resumes_from_that_step()
    {
        await using var harness = await AutomaticInstallHarness.StartAsync();
        harness.GrantSetupApp(SetupPermissions.Names.Where(p => p != "TeamsAppInstallation.ReadWriteForTeam.All"));

        var failed = await harness.StartAndRunAsync();

        Assert.Equal(AutomaticInstallStatus.Failed, failed.Status);
        var step = failed.Step(AutomaticInstallStepKind.InstallApp);
        Assert.Equal(StepState.Failed, step.State);
        Assert.Contains("403", step.Error, StringComparison.Ordinal);
        Assert.Contains("grant the temporary setup permissions again", step.Error, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(step.RequestId));
        Assert.Equal(0, step.Attempts); // a 403 is not retried
        Assert.Equal(StepState.Succeeded, failed.Step(AutomaticInstallStepKind.WaitForTeam).State);
        Assert.Empty(harness.Sandbox.State.Teams.Installations(InstallationScope.Team, Guid.Parse(failed.TeamId!)));

        harness.GrantSetupApp();
        var retried = await harness.StartAndRunAsync();

        Assert.Equal(AutomaticInstallStatus.Succeeded, retried.Status);
        Assert.Equal(failed.TeamId, retried.TeamId);
        Assert.Single(harness.TeamsNamed("Incidents"));
        Assert.Single(await harness.GraphCallsAsync(), c => c.StartsWith("POST /v1.0/teams →", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_older_package_asking_for_RSC_is_refused_explained_and_not_installed_and_our_current_package_then_installs()
    {
        await using var harness = await AutomaticInstallHarness.StartAsync();
        harness.GrantSetupApp();
        // What a tenant that uploaded our earlier package has: a definition with RSC permissions,
        // which TeamsAppInstallation.ReadWriteForTeam.All cannot install (team-post-installedapps).
        harness.Sandbox.PublishTeamsApp(AutomaticInstallHarness.Contoso, harness.TeamsApp.AppId, "IncidentIo", "1.0.0", botId: harness.TeamsApp.BotId,
            resourceSpecificPermissions: [new("TeamMember.Read.Group", "Application"), new("ChannelSettings.Read.Group", "Application")]);

        var failed = await harness.StartAndRunAsync();

        Assert.Equal(AutomaticInstallStatus.Failed, failed.Status);
        var step = failed.Step(AutomaticInstallStepKind.InstallApp);
        Assert.Equal(StepState.Failed, step.State);
        Assert.StartsWith("Teams refused to add our app: the IncidentIo app in your organisation's Teams app catalog is an older package", step.Error, StringComparison.Ordinal);
        Assert.Contains("400 BadRequest", step.Error, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(step.RequestId));
        // Asked once, not retried: a refusal is not a transient failure (a busy machine may still see an earlier transient one).
        Assert.Single(await harness.GraphCallsAsync(), c => c.StartsWith("POST /v1.0/teams/", StringComparison.Ordinal) && c.Contains("installedApps → 400 ", StringComparison.Ordinal));
        Assert.Equal(StepState.Pending, failed.Step(AutomaticInstallStepKind.PinTab).State);
        var teamId = Guid.Parse(failed.TeamId!);
        Assert.Empty(harness.Sandbox.State.Teams.Installations(InstallationScope.Team, teamId));
        Assert.Empty(harness.Sandbox.State.Teams.Tabs(teamId, harness.Sandbox.State.Teams.FindTeam(AutomaticInstallHarness.Contoso, teamId)!.GeneralChannelId));
        Assert.Empty(harness.Jobs.Taken(nameof(IncidentIo.Domain.People.TeamRosters.RequestAsync)));

        // The admin uploads our current package, which asks for no RSC: a retry installs it.
        harness.Sandbox.PublishTeamsApp(AutomaticInstallHarness.Contoso, harness.TeamsApp.AppId, "IncidentIo", harness.TeamsApp.Version, botId: harness.TeamsApp.BotId,
            resourceSpecificPermissions: AutomaticInstallHarness.ManifestRsc(harness.TeamsApp));
        var retried = await harness.StartAndRunAsync();

        Assert.Equal(AutomaticInstallStatus.Succeeded, retried.Status);
        Assert.Single(harness.Sandbox.State.Teams.Installations(InstallationScope.Team, teamId));
    }

    [Fact]
    public async Task A_worker_killed_between_steps_is_resumed_from_the_next_step_without_a_second_team()
    {
        await using var harness = await AutomaticInstallHarness.StartAsync();
        harness.GrantSetupApp();
        Assert.Null(await harness.Installs.StartAsync(harness.Admin));
        var id = harness.Jobs.TakeInstallIds().Single();

        // The first worker stops right after the team was asked for.
        using (var stop = new CancellationTokenSource())
        {
            var run = harness.NewJob().RunAsync(id, stop.Token);
            await WaitUntilAsync(harness, i => i.Step(AutomaticInstallStepKind.FindOrCreateTeam).State == StepState.Succeeded);
            await stop.CancelAsync();
            await run;
        }

        // Killed, not stopped: its lease was never given back; it just runs out.
        await SetLeaseAsync(harness, id, "dead-worker", DateTimeOffset.UtcNow.AddSeconds(-1));
        var halfway = await harness.LoadAsync();
        Assert.Equal(AutomaticInstallStatus.Running, halfway.Status);
        Assert.NotEqual(StepState.Succeeded, halfway.Step(AutomaticInstallStepKind.Verify).State);

        await harness.NewJob().ResumeStalledAsync(CancellationToken.None);
        var resumed = Assert.Single(harness.Jobs.TakeInstallIds());
        await harness.NewJob().RunAsync(resumed, CancellationToken.None);

        var done = await harness.LoadAsync();
        Assert.Equal(AutomaticInstallStatus.Succeeded, done.Status);
        Assert.Single(harness.TeamsNamed("Incidents"));
        Assert.Single(await harness.GraphCallsAsync(), c => c.StartsWith("POST /v1.0/teams →", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_run_held_by_a_live_worker_is_neither_run_twice_nor_resumed()
    {
        await using var harness = await AutomaticInstallHarness.StartAsync();
        harness.GrantSetupApp();
        Assert.Null(await harness.Installs.StartAsync(harness.Admin));
        var id = harness.Jobs.TakeInstallIds().Single();
        await SetLeaseAsync(harness, id, "live-worker", DateTimeOffset.UtcNow.AddMinutes(1));

        await harness.NewJob().RunAsync(id, CancellationToken.None);
        await harness.NewJob().ResumeStalledAsync(CancellationToken.None);

        Assert.Empty(harness.Jobs.TakeInstallIds());
        Assert.Empty(await harness.GraphCallsAsync());
        Assert.All((await harness.LoadAsync()).Steps, s => Assert.Equal(StepState.Pending, s.State));
    }

    [Fact]
    public async Task A_run_that_died_after_asking_for_the_team_finds_that_team_instead_of_asking_again()
    {
        await using var harness = await AutomaticInstallHarness.StartAsync();
        harness.GrantSetupApp();
        Assert.Null(await harness.Installs.StartAsync(harness.Admin));
        var id = harness.Jobs.TakeInstallIds().Single();
        // As if a run had sent POST /teams and died before saving Teams' answer.
        harness.Sandbox.State.Teams.StartCreateTeam(Contoso, "Incidents", null, "public", [(DemoSeed.AdminId, true)], []);
        await using (var db = await harness.Services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>().CreateDbContextAsync())
        {
            await db.AutomaticInstalls.Where(i => i.Id == id).ExecuteUpdateAsync(s => s.SetProperty(i => i.TeamCreationRequestedAt, DateTimeOffset.UtcNow));
        }

        await harness.NewJob().RunAsync(id, CancellationToken.None);

        var install = await harness.LoadAsync();
        Assert.Equal(AutomaticInstallStatus.Succeeded, install.Status);
        Assert.Single(harness.TeamsNamed("Incidents"));
        Assert.Contains("asked Teams to create earlier", install.Step(AutomaticInstallStepKind.FindOrCreateTeam).Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(await harness.GraphCallsAsync(), c => c.StartsWith("POST /v1.0/teams →", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Throttling_mid_install_is_waited_out_by_retry_after_and_the_install_completes()
    {
        await using var harness = await AutomaticInstallHarness.StartAsync();
        harness.GrantSetupApp();
        // Long enough to still be raging when the first Graph call arrives on a busy machine (token, database first).
        harness.Sandbox.Faults.SetTenant(Contoso, new FaultSettings { StormUntil = DateTimeOffset.UtcNow.AddSeconds(3) });
        var clock = Stopwatch.StartNew();

        var install = await harness.StartAndRunAsync();

        var calls = await harness.GraphCallsAsync();
        output.WriteLine($"{clock.Elapsed.TotalMilliseconds:F0} ms\n{string.Join('\n', calls)}");
        Assert.Equal(AutomaticInstallStatus.Succeeded, install.Status);
        Assert.Contains(calls, c => c.Contains("→ 429", StringComparison.Ordinal));
        Assert.True(install.Step(AutomaticInstallStepKind.FindOrCreateTeam).Attempts >= 1);
        Assert.Single(harness.TeamsNamed("Incidents"));
        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.9), "Retry-After was not waited for");
    }

    [Fact]
    public async Task Random_5xx_answers_are_retried_and_the_install_still_ends_with_one_team()
    {
        await using var harness = await AutomaticInstallHarness.StartAsync(maxAttempts: 10);
        harness.GrantSetupApp();
        harness.Sandbox.Faults.SetTenant(Contoso, new FaultSettings { ErrorRate = 0.2, ErrorStatuses = [500, 502, 503, 504], RetryAfterSeconds = 0 });

        var install = await harness.StartAndRunAsync();

        var calls = await harness.GraphCallsAsync();
        output.WriteLine(string.Join('\n', calls));
        Assert.Equal(AutomaticInstallStatus.Succeeded, install.Status);
        Assert.Contains(calls, c => c.Contains("→ 50", StringComparison.Ordinal));
        Assert.Single(harness.TeamsNamed("Incidents"));
    }

    [Fact]
    public async Task Microsoft_failing_every_time_fails_the_step_after_the_configured_attempts()
    {
        await using var harness = await AutomaticInstallHarness.StartAsync(maxAttempts: 3);
        harness.GrantSetupApp();
        harness.Sandbox.Faults.SetTenant(Contoso, new FaultSettings { ErrorRate = 1, ErrorStatuses = [503], RetryAfterSeconds = 0 });

        var install = await harness.StartAndRunAsync();

        var step = install.Step(AutomaticInstallStepKind.FindOrCreateTeam);
        Assert.Equal(AutomaticInstallStatus.Failed, install.Status);
        Assert.Equal(StepState.Failed, step.State);
        Assert.Equal(3, step.Attempts);
        Assert.Contains("kept failing after 3 attempts", step.Error, StringComparison.Ordinal);
        Assert.Equal(3, (await harness.GraphCallsAsync()).Count);
        Assert.Empty(harness.TeamsNamed("Incidents"));
    }

    [Fact]
    public async Task The_temporary_permissions_check_says_whether_the_admin_removed_them()
    {
        await using var harness = await AutomaticInstallHarness.StartAsync();
        harness.GrantSetupApp();
        await harness.StartAndRunAsync();

        var stillGranted = await harness.Installs.CheckTemporaryPermissionsAsync(harness.OrganizationId);
        Assert.Equal(SetupPermissions.Names.Order(), stillGranted.Order());
        Assert.False((await harness.LoadAsync()).TemporaryPermissionsRemoved);

        Assert.True(harness.Sandbox.State.RevokeGrant(Contoso, AutomaticInstallHarness.SetupClientId));
        var afterRemoval = await harness.Installs.CheckTemporaryPermissionsAsync(harness.OrganizationId);

        Assert.Empty(afterRemoval);
        Assert.True((await harness.LoadAsync()).TemporaryPermissionsRemoved);
    }

    [Fact]
    public async Task Without_the_setup_permissions_the_first_step_fails_and_says_to_grant_them()
    {
        await using var harness = await AutomaticInstallHarness.StartAsync();

        var install = await harness.StartAndRunAsync();

        var step = install.Step(AutomaticInstallStepKind.FindOrCreateTeam);
        Assert.Equal(StepState.Failed, step.State);
        Assert.Contains("Grant the temporary setup permissions again", step.Error, StringComparison.Ordinal);
        Assert.Empty(harness.TeamsNamed("Incidents"));
    }

    private static void AssertAppAndTab(AutomaticInstallHarness harness, Guid teamId)
    {
        // The tenant's own upload when it also has the Store's (see docs/architecture.md).
        var catalogApp = harness.Sandbox.State.Teams.CatalogApps(Contoso).Where(a => a.ManifestId == harness.TeamsApp.AppId)
            .OrderBy(a => a.DistributionMethod == TeamsAppDistribution.Store ? 1 : 0).First();
        Assert.Single(harness.Sandbox.State.Teams.Installations(InstallationScope.Team, teamId), i => i.TeamsAppId == catalogApp.Id);
        var general = harness.Sandbox.State.Teams.Channels(teamId)[0];
        var tab = Assert.Single(harness.Sandbox.State.Teams.Tabs(teamId, general.Id));
        Assert.Equal(catalogApp.Id, tab.TeamsAppId);
        Assert.Equal($"https://{harness.TeamsApp.PortalHost}/teams/tab", tab.Configuration.ContentUrl);
    }

    private static async Task<Organization> OrganizationAsync(AutomaticInstallHarness harness)
    {
        await using var db = await harness.Services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>().CreateDbContextAsync();
        return await db.Organizations.AsNoTracking().SingleAsync(o => o.Id == harness.OrganizationId);
    }

    private static async Task WaitUntilAsync(AutomaticInstallHarness harness, Func<Install, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition(await harness.LoadAsync()))
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(10);
        }
    }

    private static async Task SetLeaseAsync(AutomaticInstallHarness harness, Guid id, string owner, DateTimeOffset until)
    {
        await using var db = await harness.Services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>().CreateDbContextAsync();
        await db.AutomaticInstalls.Where(i => i.Id == id).ExecuteUpdateAsync(s => s.SetProperty(i => i.LeaseOwner, owner).SetProperty(i => i.LeaseUntil, until));
    }
}
