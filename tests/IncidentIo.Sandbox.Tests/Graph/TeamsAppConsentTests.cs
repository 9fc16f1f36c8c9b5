using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Tests.Infrastructure;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;

namespace IncidentIo.Sandbox.Tests.Graph;

/// <summary>
/// Installing apps whose definition carries resource-specific consent (RSC) permissions:
/// https://learn.microsoft.com/en-us/graph/api/team-post-installedapps (permission note, request body
/// note, example 3) and https://learn.microsoft.com/en-us/graph/api/userteamwork-post-installedapps.
/// </summary>
[Collection(SharedSandbox.Name)]
public sealed class TeamsAppConsentTests(SandboxFixture sandbox)
{
    private static readonly RscEntry[] TeamRsc = [new("TeamMember.Read.Group", "Application"), new("ChannelSettings.Read.Group", "Application")];

    [Fact]
    public async Task ReadWriteForTeam_cannot_install_an_app_with_RSC_permissions_and_nothing_is_installed()
    {
        var app = Publish(TeamRsc);
        var graph = AppGraph(["TeamsAppInstallation.ReadWriteForTeam.All"]);
        var team = TeamsSeed.OperationsTeamId;

        var withoutSet = await Assert.ThrowsAsync<ODataError>(() => graph.Teams[team.ToString()].InstalledApps.PostAsync(Install(app.Id)));
        var withSet = await Assert.ThrowsAsync<ODataError>(() => graph.Teams[team.ToString()].InstalledApps.PostAsync(Install(app.Id, TeamRsc)));

        foreach (var refused in new[] { withoutSet, withSet })
        {
            AssertNotConsented(refused, "The required permissions have not been consented to by the caller.");
        }

        Assert.DoesNotContain(sandbox.Host.State.Teams.Installations(InstallationScope.Team, team), i => i.TeamsAppId == app.Id);
    }

    [Fact]
    public async Task AndConsent_installs_only_with_the_definitions_exact_permission_set()
    {
        var app = Publish(TeamRsc);
        var graph = AppGraph(["TeamsAppInstallation.ReadWriteAndConsentForTeam.All"]);
        var team = TeamsSeed.OperationsTeamId.ToString();

        var omitted = await Assert.ThrowsAsync<ODataError>(() => graph.Teams[team].InstalledApps.PostAsync(Install(app.Id)));
        var fewer = await Assert.ThrowsAsync<ODataError>(() => graph.Teams[team].InstalledApps.PostAsync(Install(app.Id, [TeamRsc[0]])));
        var more = await Assert.ThrowsAsync<ODataError>(() => graph.Teams[team].InstalledApps.PostAsync(
            Install(app.Id, [.. TeamRsc, new("ChannelMessage.Read.Group", "Application")])));
        var wrongType = await Assert.ThrowsAsync<ODataError>(() => graph.Teams[team].InstalledApps.PostAsync(
            Install(app.Id, [TeamRsc[0], new(TeamRsc[1].Name, "Delegated")])));
        var before = sandbox.Host.State.Teams.Installations(InstallationScope.Team, TeamsSeed.OperationsTeamId).Count(i => i.TeamsAppId == app.Id);

        await graph.Teams[team].InstalledApps.PostAsync(Install(app.Id, [.. TeamRsc.Reverse()]));

        AssertNotConsented(omitted, "The required permissions have not been consented to by the caller.");
        foreach (var mismatch in new[] { fewer, more, wrongType })
        {
            AssertNotConsented(mismatch, "The consented permissions do not match the resource-specific permissions of the app definition.");
        }

        Assert.Equal(0, before);
        Assert.Single(sandbox.Host.State.Teams.Installations(InstallationScope.Team, TeamsSeed.OperationsTeamId), i => i.TeamsAppId == app.Id);
    }

    [Fact]
    public async Task Only_delegated_RSC_may_be_left_out_of_the_body_by_an_AndConsent_caller()
    {
        var app = Publish([new("ChannelMeeting.ReadBasic.Group", "Delegated")]);
        var graph = AppGraph(["TeamsAppInstallation.ReadWriteAndConsentForTeam.All"]);

        await graph.Teams[TeamsSeed.EngineeringTeamId.ToString()].InstalledApps.PostAsync(Install(app.Id));

        Assert.Single(sandbox.Host.State.Teams.Installations(InstallationScope.Team, TeamsSeed.EngineeringTeamId), i => i.TeamsAppId == app.Id);
    }

    [Fact]
    public async Task An_app_without_RSC_installs_with_ReadWriteForTeam_but_not_with_a_consent_set_it_does_not_ask_for()
    {
        var app = Publish([]);
        var graph = AppGraph(["TeamsAppInstallation.ReadWriteForTeam.All"]);
        var team = TeamsSeed.EngineeringTeamId.ToString();

        var stray = await Assert.ThrowsAsync<ODataError>(() => graph.Teams[team].InstalledApps.PostAsync(Install(app.Id, TeamRsc)));
        await graph.Teams[team].InstalledApps.PostAsync(Install(app.Id));

        AssertNotConsented(stray, "The consented permissions do not match the resource-specific permissions of the app definition.");
        Assert.Single(sandbox.Host.State.Teams.Installations(InstallationScope.Team, TeamsSeed.EngineeringTeamId), i => i.TeamsAppId == app.Id);
    }

    [Fact]
    public async Task Personal_installs_follow_the_same_rule_and_Self_consent_reaches_only_the_callers_own_app()
    {
        var registration = sandbox.RegisterApp(a => a with { ApplicationPermissions = ["TeamsAppInstallation.ReadWriteAndConsentSelfForUser.All"] });
        sandbox.GrantAdminConsent(registration, DemoSeed.ContosoTenantId);
        var graph = sandbox.Graph(() => sandbox.AppTokenAsync(registration, DemoSeed.ContosoTenantId));
        RscEntry[] userRsc = [new("TeamsActivity.Send.User", "Application")];
        var own = Publish(userRsc, registration.ClientId);
        var plain = AppGraph(["TeamsAppInstallation.ReadWriteForUser.All"]);
        var user = graph.Users["megan.bowen@contoso.example"];

        var omitted = await Assert.ThrowsAsync<ODataError>(() => user.Teamwork.InstalledApps.PostAsync(UserInstall(own.Id)));
        var withoutConsentPermission = await Assert.ThrowsAsync<ODataError>(() =>
            plain.Users["megan.bowen@contoso.example"].Teamwork.InstalledApps.PostAsync(UserInstall(own.Id, userRsc)));
        await user.Teamwork.InstalledApps.PostAsync(UserInstall(own.Id, userRsc));

        AssertNotConsented(omitted, "The required permissions have not been consented to by the caller.");
        AssertNotConsented(withoutConsentPermission, "The required permissions have not been consented to by the caller.");
        var megan = sandbox.Host.State.FindUser(DemoSeed.ContosoTenantId, "megan.bowen@contoso.example")!;
        Assert.Single(sandbox.Host.State.Teams.Installations(InstallationScope.User, megan.Id), i => i.TeamsAppId == own.Id);
    }

    [Fact]
    public async Task The_catalog_shows_the_definitions_RSC_permissions()
    {
        var app = Publish(TeamRsc);
        var graph = AppGraph(["AppCatalog.Read.All"]);

        var found = await graph.AppCatalogs.TeamsApps.GetAsync(r =>
        {
            r.QueryParameters.Filter = $"externalId eq '{app.ExternalId}'";
            r.QueryParameters.Expand = ["appDefinitions"];
        });

        var permissions = Assert.Single(Assert.Single(found!.Value!).AppDefinitions!).Authorization!.RequiredPermissionSet!.ResourceSpecificPermissions!;
        Assert.Equal(
            [("TeamMember.Read.Group", TeamsAppResourceSpecificPermissionType.Application), ("ChannelSettings.Read.Group", TeamsAppResourceSpecificPermissionType.Application)],
            permissions.Select(p => (p.PermissionValue, p.PermissionType!.Value)));
    }

    private static void AssertNotConsented(ODataError error, string message)
    {
        Assert.Equal(400, error.ResponseStatusCode);
        Assert.Equal("BadRequest", error.Error!.Code);
        Assert.Equal(message, error.Error.Message);
        Assert.Equal("InvalidRequest", error.Error.InnerError!.AdditionalData["code"]?.ToString());
        Assert.False(string.IsNullOrEmpty(error.Error.InnerError.RequestId));
    }

    private CatalogApp Publish(RscEntry[] rsc, string? azureAdAppId = null) =>
        sandbox.Host.PublishTeamsApp(DemoSeed.ContosoTenantId, Guid.NewGuid().ToString(), "With RSC", "1.0.0", azureAdAppId: azureAdAppId, resourceSpecificPermissions: rsc);

    private static TeamsAppInstallation Install(Guid catalogId, RscEntry[]? consented = null) => new()
    {
        ConsentedPermissionSet = consented is null ? null : Set(consented),
        AdditionalData = new Dictionary<string, object> { ["teamsApp@odata.bind"] = $"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/{catalogId}" },
    };

    private static UserScopeTeamsAppInstallation UserInstall(Guid catalogId, RscEntry[]? consented = null) => new()
    {
        ConsentedPermissionSet = consented is null ? null : Set(consented),
        AdditionalData = new Dictionary<string, object> { ["teamsApp@odata.bind"] = $"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/{catalogId}" },
    };

    private static TeamsAppPermissionSet Set(RscEntry[] entries) => new()
    {
        ResourceSpecificPermissions = [.. entries.Select(e => new TeamsAppResourceSpecificPermission
        {
            PermissionValue = e.Name,
            PermissionType = e.IsApplication ? TeamsAppResourceSpecificPermissionType.Application : TeamsAppResourceSpecificPermissionType.Delegated,
        })],
    };

    private GraphServiceClient AppGraph(string[] permissions)
    {
        var app = sandbox.RegisterApp(a => a with { ApplicationPermissions = permissions });
        sandbox.GrantAdminConsent(app, DemoSeed.ContosoTenantId);
        return sandbox.Graph(() => sandbox.AppTokenAsync(app, DemoSeed.ContosoTenantId));
    }
}
