using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.Reachability;
using IncidentIo.Domain.Tests.TeamsApp;
using IncidentIo.Sandbox.Faults;
using IncidentIo.Sandbox.State;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IncidentIo.Domain.Tests.Reachability;

/// <summary>Each state a user's installation can end in, from what the Sandbox (as Microsoft) answers.</summary>
public sealed class UserAppInstallerTests
{
    private static readonly Guid Contoso = ReachabilityHarness.Contoso;

    [Theory]
    [InlineData(DatabaseOptions.Sqlite)]
    [InlineData(DatabaseOptions.Postgres)]
    public async Task A_user_without_our_app_gets_it_and_is_reachable_with_every_call_in_the_history(string provider)
    {
        await using var harness = await ReachabilityHarness.StartAsync(provider);
        var user = await harness.UserAsync("user@contoso.example");

        var state = await harness.Installer.RunAsync(user.Id, "retry");

        Assert.Equal(InstallationState.Installed, state);
        var installation = (await harness.UserAsync("user@contoso.example")).AppInstallation;
        Assert.NotNull(installation.VerifiedAt);
        Assert.Null(installation.NextAttemptAt);
        Assert.Null(installation.LeaseUntil);
        Assert.Single(harness.Sandbox.State.Teams.Installations(InstallationScope.User, DemoSeed.UserId));
        var history = await harness.HistoryAsync(user.Id);
        // Our app's catalog entry first (by id for the Store, then by externalId), then installs looked up by catalog id.
        Assert.Equal(["catalog", "catalog", "check", "install", "check", "chat"], history.Select(a => a.Action));
        Assert.Equal([200, 200, 200, 201, 200, 200], history.Select(a => a.Status ?? 0));
        Assert.All(history, a => Assert.False(string.IsNullOrEmpty(a.RequestId)));
        Assert.All(history, a => Assert.Equal("retry", a.Trigger));
    }

    [Theory]
    [MemberData(nameof(CatalogDistributions.All), MemberType = typeof(CatalogDistributions))]
    public async Task Our_app_is_installed_and_verified_whether_it_came_from_the_store_the_tenants_own_catalog_or_both(string distribution)
    {
        await using var harness = await ReachabilityHarness.StartAsync(distribution: distribution);
        var expected = harness.Sandbox.State.Teams.CatalogApps(Contoso).Where(a => a.ManifestId == harness.TeamsApp.AppId)
            .OrderBy(a => a.DistributionMethod == TeamsAppDistribution.Store ? 1 : 0).First();
        var user = await harness.UserAsync("user@contoso.example");

        Assert.Equal(InstallationState.Installed, await harness.Installer.RunAsync(user.Id, "retry"));
        Assert.Equal(InstallationState.Installed, await harness.Installer.RunAsync(user.Id, "verify", InstallMode.CheckOnly));

        var installation = Assert.Single(harness.Sandbox.State.Teams.Installations(InstallationScope.User, DemoSeed.UserId));
        Assert.Equal(expected.Id, installation.TeamsAppId);
        // The catalog was asked once (the entry is remembered for the organisation). With both entries a
        // missing install is looked for under each; a found one under the chosen entry first.
        string[] notFound = distribution == CatalogDistributions.Both ? ["check", "check"] : ["check"];
        Assert.Equal([.. "catalog catalog".Split(' '), .. notFound, "install", "check", "chat", "check", "chat"], (await harness.HistoryAsync(user.Id)).Select(a => a.Action));
    }

    [Fact]
    public async Task With_our_app_both_from_the_store_and_uploaded_an_install_made_from_the_store_entry_counts()
    {
        await using var harness = await ReachabilityHarness.StartAsync(distribution: CatalogDistributions.Both);
        var store = harness.Sandbox.State.Teams.CatalogApps(Contoso).Single(a => a.DistributionMethod == TeamsAppDistribution.Store);
        harness.Sandbox.State.Teams.InstallForUser(Contoso, DemoSeed.UserId, store.Id, awaitingTeamsClient: false);
        var user = await harness.UserAsync("user@contoso.example");

        Assert.Equal(InstallationState.Installed, await harness.Installer.RunAsync(user.Id, "verify", InstallMode.CheckOnly));
        Assert.Single(harness.Sandbox.State.Teams.Installations(InstallationScope.User, DemoSeed.UserId));
    }

    [Fact]
    public async Task An_install_refused_404_because_the_remembered_catalog_entry_is_gone_asks_the_catalog_again_and_installs()
    {
        await using var harness = await ReachabilityHarness.StartAsync(distribution: CatalogDistributions.Both);
        var own = harness.Sandbox.State.Teams.CatalogApps(Contoso).Single(a => a.DistributionMethod == TeamsAppDistribution.Organization);
        var user = await harness.UserAsync("user@contoso.example");
        Assert.Equal(InstallationState.NotInstalled, await harness.Installer.RunAsync(user.Id, "verify", InstallMode.CheckOnly));
        // The tenant removes its upload; the Store's entry stays. A new process (no memory of its own) meets the old entry in the database.
        Assert.True(harness.Sandbox.State.Teams.UnpublishApp(Contoso, own.Id));
        await harness.RestartAsync();

        var state = await harness.Installer.RunAsync(user.Id, "retry", InstallMode.InstallFirst);

        Assert.Equal(InstallationState.Installed, state);
        Assert.Equal(Guid.Parse(harness.TeamsApp.AppId), Assert.Single(harness.Sandbox.State.Teams.Installations(InstallationScope.User, DemoSeed.UserId)).TeamsAppId);
        var history = await harness.HistoryAsync(user.Id);
        Assert.Contains(history, a => a.Action == "install" && a.Status == 404);
        await using var db = await harness.DbAsync();
        var organization = await db.Organizations.SingleAsync(o => o.Id == harness.OrganizationId);
        Assert.Equal(("store", harness.TeamsApp.AppId), (organization.TeamsAppDistribution, organization.TeamsAppCatalogId));
    }

    [Fact]
    public async Task A_user_who_has_our_app_is_verified_without_an_install()
    {
        await using var harness = await ReachabilityHarness.StartAsync();
        var catalogId = harness.Sandbox.State.Teams.CatalogApps(Contoso).Single(a => a.ManifestId == harness.TeamsApp.AppId).Id;
        harness.Sandbox.State.Teams.InstallForUser(Contoso, DemoSeed.UserId, catalogId, awaitingTeamsClient: false);
        var user = await harness.UserAsync("user@contoso.example");

        Assert.Equal(InstallationState.Installed, await harness.Installer.RunAsync(user.Id, "verify", InstallMode.CheckOnly));
        Assert.Equal(["catalog", "catalog", "check", "chat"], (await harness.HistoryAsync(user.Id)).Select(a => a.Action));
    }

    [Fact]
    public async Task A_409_from_an_install_made_meanwhile_counts_as_installed()
    {
        await using var harness = await ReachabilityHarness.StartAsync();
        var catalogId = harness.Sandbox.State.Teams.CatalogApps(Contoso).Single(a => a.ManifestId == harness.TeamsApp.AppId).Id;
        var user = await harness.UserAsync("user@contoso.example");
        // Installing first gives the 409 (as when a setup policy or the user installed it a moment before).
        harness.Sandbox.State.Teams.InstallForUser(Contoso, DemoSeed.UserId, catalogId, awaitingTeamsClient: false);

        var state = await harness.Installer.RunAsync(user.Id, "everyone", InstallMode.InstallFirst);

        Assert.Equal(InstallationState.Installed, state);
        var history = await harness.HistoryAsync(user.Id);
        Assert.Contains(history, a => a.Action == "install" && a.Status == 409);
        Assert.Single(harness.Sandbox.State.Teams.Installations(InstallationScope.User, DemoSeed.UserId));
    }

    [Fact]
    public async Task A_user_blocked_by_an_app_permission_policy_is_told_apart_and_not_retried()
    {
        await using var harness = await ReachabilityHarness.StartAsync();
        var user = await harness.UserAsync("blocked@contoso.example");

        Assert.Equal(InstallationState.BlockedByPolicy, await harness.Installer.RunAsync(user.Id, "retry"));

        var installation = (await harness.UserAsync("blocked@contoso.example")).AppInstallation;
        Assert.Equal(403, installation.LastStatus);
        Assert.Contains("Permission policies", installation.LastError, StringComparison.Ordinal);
        Assert.Null(installation.NextAttemptAt);
        Assert.Equal(0, installation.Attempts);
        Assert.Contains(await harness.HistoryAsync(user.Id), a => a.Action == "install" && a.Status == 403 && a.Outcome == InstallationState.BlockedByPolicy);
    }

    [Fact]
    public async Task Our_app_missing_from_the_catalog_says_what_an_admin_must_do()
    {
        await using var harness = await ReachabilityHarness.StartAsync(publishApp: false);
        var user = await harness.UserAsync("user@contoso.example");

        Assert.Equal(InstallationState.NotInCatalog, await harness.Installer.RunAsync(user.Id, "retry"));
        Assert.Contains("Teams admin center", (await harness.UserAsync("user@contoso.example")).AppInstallation.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_who_never_opened_teams_is_rechecked_later_and_reachable_once_they_do()
    {
        await using var harness = await ReachabilityHarness.StartAsync();
        var user = await harness.UserAsync("newcomer@contoso.example");

        Assert.Equal(InstallationState.NeverOpenedTeams, await harness.Installer.RunAsync(user.Id, "joined"));
        var installation = (await harness.UserAsync("newcomer@contoso.example")).AppInstallation;
        Assert.True(installation.NextAttemptAt > DateTimeOffset.UtcNow.AddHours(11));
        Assert.Contains("has not opened Teams", installation.LastError, StringComparison.Ordinal);

        harness.Sandbox.State.Teams.OpenTeams(DemoSeed.NeverOpenedTeamsUserId);
        Assert.Equal(InstallationState.Installed, await harness.Installer.RunAsync(user.Id, "reconcile"));
    }

    [Fact]
    public async Task A_429_leaves_the_user_pending_until_retry_after_and_slows_the_whole_tenant()
    {
        await using var harness = await ReachabilityHarness.StartAsync();
        var user = await harness.UserAsync("user@contoso.example");
        // Token and our app's catalog entry first (both remembered), so the storm meets the installs' own calls.
        await harness.Installer.RunAsync((await harness.UserAsync("admin@contoso.example")).Id, "verify", InstallMode.CheckOnly);
        harness.Sandbox.Faults.SetTenant(Contoso, new FaultSettings { StormUntil = DateTimeOffset.UtcNow.AddSeconds(3) });

        var before = DateTimeOffset.UtcNow;
        Assert.Equal(InstallationState.Pending, await harness.Installer.RunAsync(user.Id, "retry"));

        var installation = (await harness.UserAsync("user@contoso.example")).AppInstallation;
        Assert.Equal(429, installation.LastStatus);
        Assert.Equal(1, installation.Attempts);
        Assert.True(installation.NextAttemptAt >= before.AddSeconds(2), $"{installation.NextAttemptAt} vs {before}");
        await using (var db = await harness.DbAsync())
        {
            var pace = await db.GraphPaces.SingleAsync(p => p.TenantId == Contoso && p.Operation == UserAppInstaller.CheckOperation);
            Assert.Equal(1, pace.ThrottledCount);
            Assert.True(pace.NextSlotAt >= before.AddSeconds(2), "every worker waits out Retry-After");
        }

        await Task.Delay(installation.NextAttemptAt!.Value - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(100));
        Assert.Equal(InstallationState.Installed, await harness.Installer.RunAsync(user.Id, "retry"));
        Assert.Equal(0, (await harness.UserAsync("user@contoso.example")).AppInstallation.Attempts);
    }

    [Fact]
    public async Task A_5xx_is_retried_with_backoff_and_then_succeeds()
    {
        await using var harness = await ReachabilityHarness.StartAsync();
        var user = await harness.UserAsync("user@contoso.example");
        harness.Sandbox.Faults.SetUser(DemoSeed.UserId, new FaultSettings { ErrorRate = 1, ErrorStatuses = [503], RetryAfterSeconds = 0 });

        Assert.Equal(InstallationState.Pending, await harness.Installer.RunAsync(user.Id, "retry"));
        var pending = (await harness.UserAsync("user@contoso.example")).AppInstallation;
        Assert.Equal(503, pending.LastStatus);
        Assert.NotNull(pending.NextAttemptAt);

        harness.Sandbox.Faults.SetUser(DemoSeed.UserId, null);
        Assert.Equal(InstallationState.Installed, await harness.Installer.RunAsync(user.Id, "retry"));
    }

    [Fact]
    public async Task Microsoft_failing_every_time_ends_failed_after_the_configured_attempts()
    {
        await using var harness = await ReachabilityHarness.StartAsync(settings: new Dictionary<string, string?> { ["AppInstallation:MaxAttempts"] = "3" });
        var user = await harness.UserAsync("user@contoso.example");
        harness.Sandbox.Faults.SetUser(DemoSeed.UserId, new FaultSettings { ErrorRate = 1, ErrorStatuses = [500] });

        var states = new List<InstallationState>();
        for (var i = 0; i < 3; i++)
        {
            states.Add(await harness.Installer.RunAsync(user.Id, "retry"));
        }

        Assert.Equal([InstallationState.Pending, InstallationState.Pending, InstallationState.Failed], states);
        var installation = (await harness.UserAsync("user@contoso.example")).AppInstallation;
        Assert.Contains("kept failing after 3 attempts", installation.LastError, StringComparison.Ordinal);
        Assert.Null(installation.NextAttemptAt);
    }

    [Fact]
    public async Task A_retry_pending_when_the_process_stopped_is_done_by_the_next_process_reconciliation()
    {
        await using var harness = await ReachabilityHarness.StartAsync();
        var user = await harness.UserAsync("user@contoso.example");
        harness.Sandbox.Faults.SetUser(DemoSeed.UserId, new FaultSettings { ErrorRate = 1, ErrorStatuses = [503], RetryAfterSeconds = 0 });
        Assert.Equal(InstallationState.Pending, await harness.Installer.RunAsync(user.Id, "retry"));

        // The process stops (its scheduled retry is lost with it); a new one starts.
        await harness.RestartAsync();
        harness.Sandbox.Faults.SetUser(DemoSeed.UserId, null);
        var due = (await harness.UserAsync("user@contoso.example")).AppInstallation.NextAttemptAt!.Value;
        await Task.Delay(due - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(50));
        await harness.Services.GetRequiredService<AppInstallationJobs>().ReconcileAsync(CancellationToken.None);

        Assert.Equal(InstallationState.Installed, (await harness.UserAsync("user@contoso.example")).AppInstallation.State);
        Assert.Contains(await harness.HistoryAsync(user.Id), a => a.Trigger == "reconcile" && a.Action == "install" && a.Status == 201);
    }

    [Fact]
    public async Task A_user_held_by_another_worker_is_left_alone()
    {
        await using var harness = await ReachabilityHarness.StartAsync();
        var user = await harness.UserAsync("user@contoso.example");
        await using (var db = await harness.DbAsync())
        {
            var held = await db.Users.SingleAsync(u => u.Id == user.Id);
            held.AppInstallation.LeaseUntil = DateTimeOffset.UtcNow.AddMinutes(1);
            await db.SaveChangesAsync();
        }

        Assert.Equal(InstallationState.NotInstalled, await harness.Installer.RunAsync(user.Id, "retry"));
        Assert.Empty(await harness.HistoryAsync(user.Id));
    }

    [Fact]
    public async Task Install_for_everyone_settles_every_user_and_only_other_organisations_are_untouched()
    {
        await using var harness = await ReachabilityHarness.StartAsync();

        await harness.Services.GetRequiredService<AppInstallationJobs>().InstallForEveryoneAsync(harness.OrganizationId, CancellationToken.None);

        await using var db = await harness.DbAsync();
        var states = await db.Users.GroupBy(u => u.AppInstallation.State).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count);
        Assert.Equal(1, states[InstallationState.BlockedByPolicy]);
        Assert.Equal(1, states[InstallationState.NeverOpenedTeams]);
        Assert.Equal(await db.Users.CountAsync() - 2, states[InstallationState.Installed]);
        Assert.False(states.ContainsKey(InstallationState.Pending));
    }
}
