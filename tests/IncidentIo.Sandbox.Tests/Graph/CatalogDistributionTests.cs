using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Tests.Infrastructure;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;

namespace IncidentIo.Sandbox.Tests.Graph;

/// <summary>
/// How an app's catalog entry looks by the way it reached the tenant. Sources:
/// teamsApp resource, https://learn.microsoft.com/en-us/graph/api/resources/teamsapp ("The externalId
/// value is empty for apps with a distributionMethod type of store. When apps are published to the
/// global store, the id of the app matches the id in the app manifest");
/// List teamsApp, https://learn.microsoft.com/en-us/graph/api/appcatalogs-list-teamsapps (filters on
/// id, externalId, distributionMethod; <c>$expand=appDefinitions</c>);
/// List apps in team, https://learn.microsoft.com/en-us/graph/api/team-list-installedapps and List apps
/// installed for user, https://learn.microsoft.com/en-us/graph/api/userteamwork-list-installedapps
/// (filter on <c>teamsApp/id</c>, <c>teamsApp/externalId</c>; <c>$expand=teamsApp</c>).
/// </summary>
[Collection(SharedSandbox.Name)]
public sealed class CatalogDistributionTests(SandboxFixture sandbox)
{
    private static readonly Guid Contoso = DemoSeed.ContosoTenantId;

    [Fact]
    public async Task A_store_app_is_listed_under_its_manifest_id_with_no_external_id()
    {
        var manifestId = Guid.NewGuid().ToString();
        var app = sandbox.Host.PublishTeamsApp(Contoso, manifestId, "IncidentIo", "1.0.0", distributionMethod: TeamsAppDistribution.Store);
        var graph = AppGraph();

        var byId = await graph.AppCatalogs.TeamsApps.GetAsync(r =>
        {
            r.QueryParameters.Filter = $"id eq '{manifestId}'";
            r.QueryParameters.Expand = ["appDefinitions"];
        });
        var byExternalId = await graph.AppCatalogs.TeamsApps.GetAsync(r => r.QueryParameters.Filter = $"externalId eq '{manifestId}'");
        var storeOnly = await graph.AppCatalogs.TeamsApps.GetAsync(r => r.QueryParameters.Filter = $"id eq '{manifestId}' and distributionMethod eq 'store'");
        var organizationOnly = await graph.AppCatalogs.TeamsApps.GetAsync(r => r.QueryParameters.Filter = $"id eq '{manifestId}' and distributionMethod eq 'organization'");

        Assert.Equal(Guid.Parse(manifestId), app.Id);
        var found = Assert.Single(byId!.Value!);
        Assert.Equal(manifestId, found.Id);
        Assert.Null(found.ExternalId);
        Assert.Equal(TeamsAppDistributionMethod.Store, found.DistributionMethod);
        Assert.Equal(manifestId, Assert.Single(found.AppDefinitions!).TeamsAppId);
        Assert.Empty(byExternalId!.Value!);
        Assert.Single(storeOnly!.Value!);
        Assert.Empty(organizationOnly!.Value!);
    }

    [Fact]
    public async Task An_uploaded_app_gets_a_catalog_id_of_its_own_and_the_manifest_id_as_external_id()
    {
        var manifestId = Guid.NewGuid().ToString();
        var app = sandbox.Host.PublishTeamsApp(Contoso, manifestId, "IncidentIo", "1.0.0", distributionMethod: TeamsAppDistribution.Organization);
        var graph = AppGraph();

        var byId = await graph.AppCatalogs.TeamsApps.GetAsync(r => r.QueryParameters.Filter = $"id eq '{manifestId}'");
        var byExternalId = await graph.AppCatalogs.TeamsApps.GetAsync(r => r.QueryParameters.Filter = $"externalId eq '{manifestId}' and distributionMethod eq 'organization'");

        Assert.Empty(byId!.Value!);
        var found = Assert.Single(byExternalId!.Value!);
        Assert.Equal(app.Id.ToString(), found.Id);
        Assert.NotEqual(manifestId, found.Id);
        Assert.Equal(manifestId, found.ExternalId);
        Assert.Equal(TeamsAppDistributionMethod.Organization, found.DistributionMethod);
    }

    [Fact]
    public async Task A_tenant_can_hold_the_same_app_from_the_store_and_uploaded_as_two_entries()
    {
        var manifestId = Guid.NewGuid().ToString();
        var store = sandbox.Host.PublishTeamsApp(Contoso, manifestId, "IncidentIo", "1.0.0", distributionMethod: TeamsAppDistribution.Store);
        var own = sandbox.Host.PublishTeamsApp(Contoso, manifestId, "IncidentIo", "1.0.0", distributionMethod: TeamsAppDistribution.Organization);
        var sideloaded = sandbox.Host.PublishTeamsApp(Contoso, manifestId, "IncidentIo", "1.0.0", distributionMethod: TeamsAppDistribution.Sideloaded);
        var graph = AppGraph();

        var byId = await graph.AppCatalogs.TeamsApps.GetAsync(r => r.QueryParameters.Filter = $"id eq '{manifestId}'");
        var byExternalId = await graph.AppCatalogs.TeamsApps.GetAsync(r => r.QueryParameters.Filter = $"externalId eq '{manifestId}'");

        Assert.Equal(3, new[] { store.Id, own.Id, sideloaded.Id }.Distinct().Count());
        Assert.Equal(store.Id.ToString(), Assert.Single(byId!.Value!).Id);
        Assert.Equal(new[] { own.Id.ToString(), sideloaded.Id.ToString() }.Order(StringComparer.Ordinal), byExternalId!.Value!.Select(a => a.Id!).Order(StringComparer.Ordinal));
        Assert.Contains(byExternalId.Value!, a => a.DistributionMethod == TeamsAppDistributionMethod.Sideloaded);
    }

    [Fact]
    public void The_same_store_app_in_two_tenants_is_two_entries_with_one_catalog_id()
    {
        var manifestId = Guid.NewGuid().ToString();

        var contoso = sandbox.Host.PublishTeamsApp(Contoso, manifestId, "IncidentIo", "1.0.0", distributionMethod: TeamsAppDistribution.Store);
        var staff = sandbox.Host.PublishTeamsApp(DemoSeed.StaffTenantId, manifestId, "IncidentIo", "1.1.0", distributionMethod: TeamsAppDistribution.Store);

        Assert.Equal(contoso.Id, staff.Id);
        Assert.Equal("1.0.0", sandbox.State.Teams.FindCatalogApp(Contoso, contoso.Id)!.Version);
        Assert.Equal("1.1.0", sandbox.State.Teams.FindCatalogApp(DemoSeed.StaffTenantId, staff.Id)!.Version);
    }

    [Fact]
    public async Task A_store_app_installs_in_teams_and_for_users_and_is_found_by_teamsApp_id_not_by_external_id()
    {
        var manifestId = Guid.NewGuid().ToString();
        var app = sandbox.Host.PublishTeamsApp(Contoso, manifestId, "IncidentIo", "1.0.0", distributionMethod: TeamsAppDistribution.Store);
        var graph = AppGraph();
        var team = graph.Teams[TeamsSeed.EngineeringTeamId.ToString()].InstalledApps;
        var user = graph.Users[DemoSeed.UserId.ToString()].Teamwork.InstalledApps;

        await team.PostAsync(new TeamsAppInstallation { AdditionalData = Bind(app.Id) });
        await user.PostAsync(new UserScopeTeamsAppInstallation { AdditionalData = Bind(app.Id) });
        var teamById = await team.GetAsync(r =>
        {
            r.QueryParameters.Filter = $"teamsApp/id eq '{manifestId}'";
            r.QueryParameters.Expand = ["teamsApp"];
        });
        var teamByExternalId = await team.GetAsync(r => r.QueryParameters.Filter = $"teamsApp/externalId eq '{manifestId}'");
        var userById = await user.GetAsync(r => r.QueryParameters.Filter = $"teamsApp/id eq '{manifestId}'");
        var userByExternalId = await user.GetAsync(r => r.QueryParameters.Filter = $"teamsApp/externalId eq '{manifestId}'");

        var installed = Assert.Single(teamById!.Value!);
        Assert.Equal(manifestId, installed.TeamsApp!.Id);
        Assert.Null(installed.TeamsApp.ExternalId);
        Assert.Equal(TeamsAppDistributionMethod.Store, installed.TeamsApp.DistributionMethod);
        Assert.Empty(teamByExternalId!.Value!);
        Assert.Single(userById!.Value!);
        Assert.Empty(userByExternalId!.Value!);
    }

    [Fact]
    public async Task An_unsupported_filter_still_answers_graphs_error_envelope()
    {
        var graph = AppGraph();

        var error = await Assert.ThrowsAsync<ODataError>(() => graph.AppCatalogs.TeamsApps.GetAsync(r => r.QueryParameters.Filter = "version eq '1.0.0'"));

        Assert.Equal(400, error.ResponseStatusCode);
        Assert.Equal("BadRequest", error.Error!.Code);
        Assert.False(string.IsNullOrEmpty(error.Error.InnerError?.RequestId));
    }

    [Fact]
    public async Task The_control_api_publishes_by_distribution_method_and_defaults_to_the_tenants_own_catalog()
    {
        var manifestId = Guid.NewGuid().ToString();

        using var plain = await sandbox.Http.PostAsJsonAsync("/sandbox/api/tenants/contoso.example/teams-apps", new { externalId = manifestId, displayName = "IncidentIo", version = "1.0.0" });
        using var store = await sandbox.Http.PostAsJsonAsync("/sandbox/api/tenants/contoso.example/teams-apps",
            new { externalId = manifestId, displayName = "IncidentIo", version = "1.0.0", distributionMethod = "Store" });

        Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
        Assert.Equal(HttpStatusCode.OK, store.StatusCode);
        var uploaded = JsonDocument.Parse(await plain.Content.ReadAsStringAsync()).RootElement;
        var fromStore = JsonDocument.Parse(await store.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("organization", uploaded.GetProperty("distributionMethod").GetString());
        Assert.Equal(manifestId, uploaded.GetProperty("externalId").GetString());
        Assert.Equal("store", fromStore.GetProperty("distributionMethod").GetString());
        Assert.Equal(manifestId, fromStore.GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, fromStore.GetProperty("externalId").ValueKind);
        Assert.Equal(2, sandbox.State.Teams.CatalogApps(Contoso).Count(a => a.ManifestId == manifestId));
    }

    [Theory]
    [InlineData("global", "distributionMethod must be one of store, organization, sideloaded, not 'global'.")]
    [InlineData("store", "A Store app's catalog id is its manifest id, which must be a GUID, not 'not-a-guid'.")]
    public async Task The_control_api_refuses_a_bad_distribution_and_publishes_nothing(string distribution, string error)
    {
        var before = sandbox.State.Teams.CatalogApps(Contoso).Count;

        using var response = await sandbox.Http.PostAsJsonAsync("/sandbox/api/tenants/contoso.example/teams-apps",
            new { externalId = "not-a-guid", displayName = "IncidentIo", version = "1.0.0", distributionMethod = distribution });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(error, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString());
        Assert.Equal(before, sandbox.State.Teams.CatalogApps(Contoso).Count);
    }

    private static Dictionary<string, object> Bind(Guid catalogId) =>
        new() { ["teamsApp@odata.bind"] = $"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/{catalogId}" };

    private GraphServiceClient AppGraph()
    {
        var app = sandbox.RegisterApp(a => a with
        {
            ApplicationPermissions = ["TeamsAppInstallation.ReadWriteForTeam.All", "TeamsAppInstallation.ReadWriteForUser.All", "AppCatalog.Read.All"],
        });
        sandbox.GrantAdminConsent(app, Contoso);
        return sandbox.Graph(() => sandbox.AppTokenAsync(app, Contoso));
    }
}
