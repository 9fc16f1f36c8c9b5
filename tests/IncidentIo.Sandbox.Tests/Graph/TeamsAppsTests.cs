using System.Net;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Tests.Infrastructure;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;

namespace IncidentIo.Sandbox.Tests.Graph;

/// <summary>Installing the product's app in teams and for users, and finding it in the catalog.</summary>
[Collection(SharedSandbox.Name)]
public sealed class TeamsAppsTests(SandboxFixture sandbox)
{
    private static readonly string[] InstallPermissions =
    [
        "TeamsAppInstallation.ReadWriteForTeam.All", "TeamsAppInstallation.ReadWriteAndConsentSelfForUser.All", "AppCatalog.Read.All",
    ];

    [Fact]
    public async Task Install_in_a_team_then_409_Conflict_then_found_by_external_id_with_its_definition()
    {
        var app = Publish();
        var graph = AppGraph();
        var team = TeamsSeed.EngineeringTeamId.ToString();

        await graph.Teams[team].InstalledApps.PostAsync(Install(app.Id));
        var conflict = await Assert.ThrowsAsync<ODataError>(() => graph.Teams[team].InstalledApps.PostAsync(Install(app.Id)));
        var found = await graph.Teams[team].InstalledApps.GetAsync(r =>
        {
            r.QueryParameters.Filter = $"teamsApp/externalId eq '{app.ExternalId}'";
            r.QueryParameters.Expand = ["teamsApp", "teamsAppDefinition"];
        });
        var byId = await graph.Teams[team].InstalledApps.GetAsync(r => r.QueryParameters.Filter = $"teamsApp/id eq '{app.Id}'");

        Assert.Equal(409, conflict.ResponseStatusCode);
        Assert.Equal("Conflict", conflict.Error!.Code);
        var installation = Assert.Single(found!.Value!);
        Assert.NotEqual(app.Id.ToString(), installation.Id);
        Assert.Equal(app.Id.ToString(), installation.TeamsApp!.Id);
        Assert.Equal(app.ExternalId, installation.TeamsApp.ExternalId);
        Assert.Equal(TeamsAppDistributionMethod.Organization, installation.TeamsApp.DistributionMethod);
        Assert.Equal("1.2.3", installation.TeamsAppDefinition!.Version);
        Assert.Equal(app.Id.ToString(), installation.TeamsAppDefinition.TeamsAppId);
        Assert.Equal(installation.Id, Assert.Single(byId!.Value!).Id);
        Assert.Null(byId.Value![0].TeamsApp);

        await graph.Teams[team].InstalledApps[installation.Id].DeleteAsync();
        var after = await graph.Teams[team].InstalledApps.GetAsync(r => r.QueryParameters.Filter = $"teamsApp/id eq '{app.Id}'");
        Assert.Empty(after!.Value!);
    }

    [Fact]
    public async Task Team_install_answers_200_with_an_empty_body()
    {
        var app = Publish();
        var token = await AppToken();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1.0/teams/{TeamsSeed.OperationsTeamId}/installedApps")
        {
            Content = new StringContent($"{{\"teamsApp@odata.bind\":\"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/{app.Id}\"}}", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", token);

        using var response = await sandbox.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Install_for_a_user_is_201_then_409_and_the_chat_can_be_read()
    {
        var app = Publish(botId: "28:bot");
        var graph = AppGraph();
        var user = graph.Users["megan.bowen@contoso.example"];
        var changes = new List<TeamsChangedEventArgs>();
        void Record(object? sender, TeamsChangedEventArgs e)
        {
            if (e.TeamsAppId == app.Id)
            {
                changes.Add(e);
            }
        }

        sandbox.State.Teams.Changed += Record;
        try
        {
            var created = await user.Teamwork.InstalledApps.PostAsync(UserInstall(app.Id));
            var conflict = await Assert.ThrowsAsync<ODataError>(() => user.Teamwork.InstalledApps.PostAsync(UserInstall(app.Id)));
            var listed = await user.Teamwork.InstalledApps.GetAsync(r =>
            {
                r.QueryParameters.Filter = $"teamsApp/externalId eq '{app.ExternalId}'";
                r.QueryParameters.Expand = ["teamsAppDefinition"];
            });
            var installation = Assert.Single(listed!.Value!);
            var single = await user.Teamwork.InstalledApps[installation.Id].GetAsync();
            var chat = await user.Teamwork.InstalledApps[installation.Id].Chat.GetAsync();
            await user.Teamwork.InstalledApps[installation.Id].DeleteAsync();

            Assert.Null(created);
            Assert.Equal(409, conflict.ResponseStatusCode);
            Assert.Equal("Conflict", conflict.Error!.Code);
            Assert.Equal("1.2.3", installation.TeamsAppDefinition!.Version);
            Assert.Equal(installation.Id, single!.Id);
            Assert.Equal($"19:{sandbox.State.FindUserByUpn("megan.bowen@contoso.example")!.Id}_28:bot@unq.gbl.spaces", chat!.Id);
            Assert.Equal(ChatType.OneOnOne, chat.ChatType);
            Assert.Equal([TeamsChangeKind.AppInstalledForUser, TeamsChangeKind.AppRemovedForUser], changes.Select(c => c.Kind));
        }
        finally
        {
            sandbox.State.Teams.Changed -= Record;
        }
    }

    [Fact]
    public async Task Install_for_a_user_answers_201_with_an_empty_body()
    {
        var app = Publish();
        var token = await AppToken();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1.0/users/diego.siciliani@contoso.example/teamwork/installedApps")
        {
            Content = new StringContent($"{{\"teamsApp@odata.bind\":\"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps('{app.Id}')\"}}", System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", token);

        using var response = await sandbox.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_user_blocked_by_app_permission_policy_gets_403_Forbidden_with_inner_AccessDenied()
    {
        var app = Publish();

        var error = await Assert.ThrowsAsync<ODataError>(() =>
            AppGraph().Users[DemoSeed.BlockedUserId.ToString()].Teamwork.InstalledApps.PostAsync(UserInstall(app.Id)));

        Assert.Equal(403, error.ResponseStatusCode);
        Assert.Equal("Forbidden", error.Error!.Code);
        Assert.StartsWith("App is blocked by app permission policy.", error.Error.Message, StringComparison.Ordinal);
        Assert.Contains($"UserObjectId: {DemoSeed.BlockedUserId}", error.Error.Message, StringComparison.Ordinal);
        Assert.Contains($"AppId: {app.Id}", error.Error.Message, StringComparison.Ordinal);
        Assert.Equal("AccessDenied", error.Error.InnerError!.AdditionalData["code"]?.ToString());
    }

    [Fact]
    public async Task For_a_user_who_never_opened_Teams_the_install_waits_for_their_client()
    {
        var app = Publish();
        var graph = AppGraph();
        var user = graph.Users[DemoSeed.NeverOpenedTeamsUserId.ToString()];
        var changes = new List<TeamsChangedEventArgs>();
        void Record(object? sender, TeamsChangedEventArgs e)
        {
            if (e.TeamsAppId == app.Id)
            {
                changes.Add(e);
            }
        }

        sandbox.State.Teams.Changed += Record;
        try
        {
            await user.Teamwork.InstalledApps.PostAsync(UserInstall(app.Id));
            var installation = Assert.Single((await user.Teamwork.InstalledApps.GetAsync(r => r.QueryParameters.Filter = $"teamsApp/id eq '{app.Id}'"))!.Value!);
            var noChat = await Assert.ThrowsAsync<ODataError>(() => user.Teamwork.InstalledApps[installation.Id].Chat.GetAsync());
            Assert.Empty(changes);

            sandbox.State.Teams.OpenTeams(DemoSeed.NeverOpenedTeamsUserId);
            var chat = await user.Teamwork.InstalledApps[installation.Id].Chat.GetAsync();

            Assert.Equal(404, noChat.ResponseStatusCode);
            Assert.NotNull(chat!.Id);
            Assert.Equal(TeamsChangeKind.AppInstalledForUser, Assert.Single(changes).Kind);
        }
        finally
        {
            sandbox.State.Teams.Changed -= Record;
        }
    }

    [Fact]
    public async Task The_never_opened_Teams_case_can_be_a_404_instead()
    {
        var user = sandbox.Host.State.AddUser(new IncidentIo.Sandbox.State.User(Guid.NewGuid(), DemoSeed.StaffTenantId, $"{Guid.NewGuid():N}@incidentio.example", "New Hire", NeverOpenedTeams: true));
        sandbox.State.Teams.Configure(DemoSeed.StaffTenantId, s => s with { NeverOpenedTeamsInstall = NeverOpenedTeamsInstall.NotFound });
        var app = sandbox.Host.PublishTeamsApp(DemoSeed.StaffTenantId, Guid.NewGuid().ToString(), "IncidentIo", "1.0.0");
        var registration = sandbox.RegisterApp(a => a with { ApplicationPermissions = InstallPermissions });
        sandbox.GrantAdminConsent(registration, DemoSeed.StaffTenantId);
        var graph = sandbox.Graph(() => sandbox.AppTokenAsync(registration, DemoSeed.StaffTenantId));

        var error = await Assert.ThrowsAsync<ODataError>(() => graph.Users[user.Id.ToString()].Teamwork.InstalledApps.PostAsync(UserInstall(app.Id)));

        Assert.Equal(404, error.ResponseStatusCode);
        Assert.Equal("NotFound", error.Error!.Code);
    }

    [Fact]
    public async Task An_unknown_catalog_id_is_404_and_without_the_permission_403()
    {
        var unknown = await Assert.ThrowsAsync<ODataError>(() =>
            AppGraph().Users[DemoSeed.UserId.ToString()].Teamwork.InstalledApps.PostAsync(UserInstall(Guid.NewGuid())));
        var denied = await Assert.ThrowsAsync<ODataError>(() =>
            AppGraph(["TeamsAppInstallation.ReadForUser.All"]).Users[DemoSeed.UserId.ToString()].Teamwork.InstalledApps.PostAsync(UserInstall(Publish().Id)));

        Assert.Equal(404, unknown.ResponseStatusCode);
        Assert.Equal(403, denied.ResponseStatusCode);
        Assert.Equal("Forbidden", denied.Error!.Code);
    }

    [Fact]
    public async Task The_catalog_finds_the_app_by_external_id_and_distribution_method()
    {
        var app = Publish();
        Publish();
        var graph = AppGraph();

        var byExternalId = await graph.AppCatalogs.TeamsApps.GetAsync(r =>
            r.QueryParameters.Filter = $"externalId eq '{app.ExternalId}' and distributionMethod eq 'organization'");
        var withDefinitions = await graph.AppCatalogs.TeamsApps.GetAsync(r =>
        {
            r.QueryParameters.Filter = $"id eq '{app.Id}'";
            r.QueryParameters.Expand = ["appDefinitions"];
        });
        var store = await graph.AppCatalogs.TeamsApps.GetAsync(r => r.QueryParameters.Filter = "distributionMethod eq 'store'");

        var found = Assert.Single(byExternalId!.Value!);
        Assert.Equal(app.Id.ToString(), found.Id);
        Assert.NotEqual(app.ExternalId, found.Id);
        Assert.Equal("IncidentIo", found.DisplayName);
        Assert.Equal("1.2.3", Assert.Single(Assert.Single(withDefinitions!.Value!).AppDefinitions!).Version);
        Assert.DoesNotContain(store!.Value!, a => a.Id == app.Id.ToString());
    }

    [Fact]
    public void Catalog_ids_are_stable_and_republishing_updates_the_version()
    {
        var externalId = Guid.NewGuid().ToString();

        var first = sandbox.Host.PublishTeamsApp(DemoSeed.ContosoTenantId, externalId, "IncidentIo", "1.0.0");
        var second = sandbox.Host.PublishTeamsApp(DemoSeed.ContosoTenantId, externalId, "IncidentIo", "1.1.0");
        var elsewhere = sandbox.Host.PublishTeamsApp(DemoSeed.StaffTenantId, externalId, "IncidentIo", "1.1.0");

        Assert.Equal(first.Id, second.Id);
        Assert.NotEqual(first.Id, elsewhere.Id);
        Assert.Equal("1.1.0", sandbox.State.Teams.FindCatalogApp(DemoSeed.ContosoTenantId, first.Id)!.Version);
    }

    [Fact]
    public async Task Delegated_install_for_oneself_with_the_delegated_permission()
    {
        var app = Publish();
        var registration = sandbox.RegisterApp(a => a with { DelegatedScopes = ["User.Read", "TeamsAppInstallation.ReadWriteSelfForUser"] });
        var signIn = await DelegatedSignIn.SignInAsync(sandbox, registration, "user@contoso.example", ["TeamsAppInstallation.ReadWriteSelfForUser"]);
        var graph = sandbox.Graph(() => Task.FromResult(signIn.AccessToken));

        await graph.Me.Teamwork.InstalledApps.PostAsync(UserInstall(app.Id));
        var mine = await graph.Me.Teamwork.InstalledApps.GetAsync(r => r.QueryParameters.Filter = $"teamsApp/id eq '{app.Id}'");
        var byUpn = await graph.Users["user@contoso.example"].Teamwork.InstalledApps.GetAsync(r => r.QueryParameters.Filter = $"teamsApp/id eq '{app.Id}'");

        Assert.Equal(Assert.Single(mine!.Value!).Id, Assert.Single(byUpn!.Value!).Id);
    }

    [Fact]
    public async Task A_self_permission_manages_only_the_app_whose_manifest_names_the_caller()
    {
        var registration = sandbox.RegisterApp(a => a with { ApplicationPermissions = ["TeamsAppInstallation.ReadWriteAndConsentSelfForUser.All"] });
        sandbox.GrantAdminConsent(registration, DemoSeed.ContosoTenantId);
        var graph = sandbox.Graph(() => sandbox.AppTokenAsync(registration, DemoSeed.ContosoTenantId));
        var own = sandbox.Host.PublishTeamsApp(DemoSeed.ContosoTenantId, Guid.NewGuid().ToString(), "IncidentIo", "1.0.0", azureAdAppId: registration.ClientId);
        var other = sandbox.Host.PublishTeamsApp(DemoSeed.ContosoTenantId, Guid.NewGuid().ToString(), "Other", "1.0.0", azureAdAppId: Guid.NewGuid().ToString());
        var user = graph.Users["grady.archie@contoso.example"];
        sandbox.State.Teams.InstallForUser(DemoSeed.ContosoTenantId, sandbox.State.FindUserByUpn("grady.archie@contoso.example")!.Id, other.Id, awaitingTeamsClient: false);

        await user.Teamwork.InstalledApps.PostAsync(UserInstall(own.Id));
        var denied = await Assert.ThrowsAsync<ODataError>(() => user.Teamwork.InstalledApps.PostAsync(UserInstall(other.Id)));
        var visible = await user.Teamwork.InstalledApps.GetAsync(r => r.QueryParameters.Expand = ["teamsAppDefinition"]);

        Assert.Equal(403, denied.ResponseStatusCode);
        Assert.Equal($"AAD App Id '{registration.ClientId}' is not allowed to manage the Teams App '{other.Id}'.", denied.Error!.Message);
        var listed = Assert.Single(visible!.Value!);
        Assert.Equal(own.Id.ToString(), listed.TeamsAppDefinition!.TeamsAppId);
        Assert.Equal(registration.ClientId, listed.TeamsAppDefinition.AdditionalData["azureADAppId"]?.ToString());
    }

    private CatalogApp Publish(string? botId = null) =>
        sandbox.Host.PublishTeamsApp(DemoSeed.ContosoTenantId, Guid.NewGuid().ToString(), "IncidentIo", "1.2.3", botId);

    private static TeamsAppInstallation Install(Guid catalogId) => new()
    {
        AdditionalData = new Dictionary<string, object> { ["teamsApp@odata.bind"] = $"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/{catalogId}" },
    };

    private static UserScopeTeamsAppInstallation UserInstall(Guid catalogId) => new()
    {
        AdditionalData = new Dictionary<string, object> { ["teamsApp@odata.bind"] = $"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/{catalogId}" },
    };

    private GraphServiceClient AppGraph(string[]? permissions = null)
    {
        var app = sandbox.RegisterApp(a => a with { ApplicationPermissions = permissions ?? InstallPermissions });
        sandbox.GrantAdminConsent(app, DemoSeed.ContosoTenantId);
        return sandbox.Graph(() => sandbox.AppTokenAsync(app, DemoSeed.ContosoTenantId));
    }

    private async Task<string> AppToken()
    {
        var app = sandbox.RegisterApp(a => a with { ApplicationPermissions = InstallPermissions });
        sandbox.GrantAdminConsent(app, DemoSeed.ContosoTenantId);
        return await sandbox.AppTokenAsync(app, DemoSeed.ContosoTenantId);
    }
}
