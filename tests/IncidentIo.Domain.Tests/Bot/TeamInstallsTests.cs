using IncidentIo.Domain.Announcements;
using IncidentIo.Domain.Bot;
using IncidentIo.Domain.Setup.AutomaticInstall;
using IncidentIo.Domain.TeamsApp;
using IncidentIo.Domain.Tests.Reachability;
using IncidentIo.Domain.Users;
using IncidentIo.Sandbox.State;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IncidentIo.Domain.Tests.Bot;

/// <summary>
/// A person's teams with and without our app, and adding it to one with a click: only while the
/// temporary setup app's permission is granted, otherwise the way to do it by hand.
/// </summary>
public sealed class TeamInstallsTests
{
    private const string SetupClientId = "5a1d7c3e-9b2f-4e61-8c4d-0f3e2a1b9c02";
    private static readonly Guid Contoso = DemoSeed.ContosoTenantId;

    private static async Task<ReachabilityHarness> StartAsync(bool grantSetupApp)
    {
        var harness = await ReachabilityHarness.StartAsync(settings: new Dictionary<string, string?>
        {
            ["SetupApp:ClientId"] = SetupClientId,
            ["SetupApp:ClientSecret"] = "setup-secret",
        });
        harness.Sandbox.RegisterApp(new AppRegistration
        {
            ClientId = SetupClientId, DisplayName = "IncidentIo setup (temporary)", ClientSecrets = ["setup-secret"], ApplicationPermissions = [.. SetupPermissions.Names],
        });
        if (grantSetupApp)
        {
            harness.Sandbox.State.GrantAdminConsent(Contoso, SetupClientId, SetupPermissions.Names, []);
        }

        harness.Sandbox.State.Teams.InstallInTeam(Contoso, TeamsSeed.EngineeringTeamId, CatalogId(harness));
        return harness;
    }

    private static Guid CatalogId(ReachabilityHarness harness) =>
        harness.Sandbox.State.Teams.CatalogApps(Contoso).Single(a => a.ManifestId == harness.TeamsApp.AppId).Id;

    private static TeamInstalls Installs(ServiceProvider services) => services.GetRequiredService<TeamInstalls>();

    private static ServiceProvider Services(ReachabilityHarness harness) =>
        harness.BuildServices(s =>
        {
            var configuration = harness.Services.GetRequiredService<Microsoft.Extensions.Configuration.IConfiguration>();
            s.AddBot(configuration).AddIncidentsAndAnnouncements(configuration); // the bot declares incidents
        });

    private static bool OperationsHasOurApp(ReachabilityHarness harness) =>
        harness.Sandbox.State.Teams.Installations(InstallationScope.Team, TeamsSeed.OperationsTeamId).Any(i => i.TeamsAppId == CatalogId(harness));

    [Fact]
    public async Task A_persons_teams_say_which_have_our_app()
    {
        await using var harness = await StartAsync(grantSetupApp: false);
        await using var services = Services(harness);
        var uma = await harness.UserAsync("user@contoso.example");

        var answer = await Installs(services).TeamsOfAsync(harness.OrganizationId, uma.Id);

        Assert.Null(answer.Problem);
        Assert.Equal([("Engineering", true), ("Operations", false)], answer.Teams.Select(t => (t.Name, t.HasOurApp)));
    }

    [Fact]
    public async Task The_organisations_teams_say_which_our_bot_reported_being_in()
    {
        await using var harness = await StartAsync(grantSetupApp: false);
        await using var services = Services(harness);
        await using (var db = await harness.DbAsync())
        {
            db.BotTeams.Add(new BotTeam
            {
                OrganizationId = harness.OrganizationId, TeamThreadId = "19:engineering@thread.tacv2", GraphTeamId = TeamsSeed.EngineeringTeamId,
                Name = "Engineering", ServiceUrl = "https://smba.trafficmanager.net/teams/", InstalledAt = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync();
        }

        var answer = await Installs(services).TenantTeamsAsync(harness.OrganizationId);

        Assert.Null(answer.Problem);
        Assert.Equal([("Engineering", true), ("Operations", false)], answer.Teams.Select(t => (t.Name, t.HasOurApp)));
        Assert.NotNull((await Installs(services).TenantTeamsAsync(Guid.NewGuid())).Problem);
    }

    [Fact]
    public async Task With_the_temporary_permission_granted_one_click_adds_our_app_audits_it_and_restores_its_deactivated_members()
    {
        await using var harness = await StartAsync(grantSetupApp: true);
        await using var services = Services(harness);
        await using (var before = await harness.DbAsync())
        {
            // Uma is in Operations; loner1 is in no team: both were deactivated by an earlier sweep.
            foreach (var user in await before.Users.Where(u => u.UserPrincipalName == "user@contoso.example" || u.UserPrincipalName == "loner1@contoso.example").ToListAsync())
            {
                user.Role = UserRole.Responder;
                user.Deactivate("Not a member of any team where IncidentIo is installed.", DateTimeOffset.UtcNow);
            }

            await before.SaveChangesAsync();
        }

        Assert.True(await Installs(services).CanInstallAsync(harness.OrganizationId));
        var outcome = await Installs(services).InstallAsync(harness.OrganizationId, TeamsSeed.OperationsTeamId, "user:admin@contoso.example");

        Assert.True(outcome.Succeeded, outcome.Message);
        Assert.Contains("1 of its members who had been deactivated is active again", outcome.Message, StringComparison.Ordinal);
        Assert.True(OperationsHasOurApp(harness));
        var uma = await harness.UserAsync("user@contoso.example");
        Assert.True(uma.IsActive);
        Assert.Equal(UserRole.Responder, uma.Role);
        Assert.False((await harness.UserAsync("loner1@contoso.example")).IsActive);
        await using var db = await harness.DbAsync();
        Assert.Single(await db.AuditLog.Where(a => a.Action == "teams-app.installed-in-team" && a.Actor == "user:admin@contoso.example").ToListAsync());
        Assert.Contains("where IncidentIo was just added", Assert.Single(await db.AuditLog.Where(a => a.Action == "user.reactivated").ToListAsync()).Details, StringComparison.Ordinal);

        var again = await Installs(services).InstallAsync(harness.OrganizationId, TeamsSeed.OperationsTeamId, "user:admin@contoso.example");
        Assert.True(again.Succeeded);
        Assert.Contains("already", again.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_the_temporary_permission_it_says_how_to_do_it_by_hand_and_changes_nothing()
    {
        await using var harness = await StartAsync(grantSetupApp: false);
        await using var services = Services(harness);

        var outcome = await Installs(services).InstallAsync(harness.OrganizationId, TeamsSeed.OperationsTeamId, "user:admin@contoso.example");

        Assert.False(outcome.Succeeded);
        Assert.Contains(TeamInstalls.InstallPermission, outcome.Message, StringComparison.Ordinal);
        Assert.Contains("Manage team", outcome.Message, StringComparison.Ordinal);
        Assert.False(OperationsHasOurApp(harness));
        await using var db = await harness.DbAsync();
        Assert.Empty(await db.AuditLog.Where(a => a.Action == "teams-app.installed-in-team").ToListAsync());
    }

    [Fact]
    public async Task An_older_package_asking_for_RSC_is_refused_explained_and_changes_nothing_and_our_current_package_installs()
    {
        await using var harness = await StartAsync(grantSetupApp: true);
        await using var services = Services(harness);
        await using (var before = await harness.DbAsync())
        {
            var uma = await before.Users.SingleAsync(u => u.UserPrincipalName == "user@contoso.example");
            uma.Deactivate("Not a member of any team where IncidentIo is installed.", DateTimeOffset.UtcNow);
            await before.SaveChangesAsync();
        }

        // The catalog holds our earlier package, whose definition asks for RSC: ReadWriteForTeam.All cannot install it.
        harness.Sandbox.PublishTeamsApp(Contoso, harness.TeamsApp.AppId, "IncidentIo", "1.0.0", botId: harness.TeamsApp.BotId,
            resourceSpecificPermissions: [new("TeamMember.Read.Group", "Application"), new("ChannelSettings.Read.Group", "Application")]);
        var refused = await Installs(services).InstallAsync(harness.OrganizationId, TeamsSeed.OperationsTeamId, "user:admin@contoso.example");

        Assert.False(refused.Succeeded);
        Assert.StartsWith(RscInstallRefusal.Explanation, refused.Message, StringComparison.Ordinal);
        Assert.Matches("request id [0-9a-f-]{36}", refused.Message);
        Assert.False(OperationsHasOurApp(harness));
        Assert.False((await harness.UserAsync("user@contoso.example")).IsActive);
        await using (var db = await harness.DbAsync())
        {
            Assert.Empty(await db.AuditLog.Where(a => a.Action == "teams-app.installed-in-team" || a.Action == "user.reactivated").ToListAsync());
        }

        harness.Sandbox.PublishTeamsApp(Contoso, harness.TeamsApp.AppId, "IncidentIo", harness.TeamsApp.Version, botId: harness.TeamsApp.BotId,
            resourceSpecificPermissions: Setup.AutomaticInstall.AutomaticInstallHarness.ManifestRsc(harness.TeamsApp));
        var installed = await Installs(services).InstallAsync(harness.OrganizationId, TeamsSeed.OperationsTeamId, "user:admin@contoso.example");

        Assert.True(installed.Succeeded, installed.Message);
        Assert.True(OperationsHasOurApp(harness));
        Assert.True((await harness.UserAsync("user@contoso.example")).IsActive);
    }

    [Fact]
    public async Task Another_organisations_person_or_team_gets_nothing()
    {
        await using var harness = await StartAsync(grantSetupApp: true);
        await using var services = Services(harness);
        var uma = await harness.UserAsync("user@contoso.example");

        var answer = await Installs(services).TeamsOfAsync(Guid.NewGuid(), uma.Id);
        var outcome = await Installs(services).InstallAsync(Guid.NewGuid(), TeamsSeed.OperationsTeamId, "user:intruder@fabrikam.example");

        Assert.NotNull(answer.Problem);
        Assert.Empty(answer.Teams);
        Assert.False(outcome.Succeeded);
        Assert.False(OperationsHasOurApp(harness));
    }
}
