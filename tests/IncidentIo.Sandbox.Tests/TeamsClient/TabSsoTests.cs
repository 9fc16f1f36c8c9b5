using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IncidentIo.Sandbox.Entra;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.TeamsClient;
using IncidentIo.Sandbox.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace IncidentIo.Sandbox.Tests.TeamsClient;

/// <summary>
/// The view's answer to <c>authentication.getAuthToken</c>, and Save in the "Add a tab" dialog,
/// over plain HTTP (the browser test drives the same endpoints through teams-js).
/// </summary>
public sealed class TabSsoTests
{
    private static readonly Guid Contoso = DemoSeed.ContosoTenantId;
    private static readonly string TokenPath = $"{TeamsClientUi.Root}/api/auth-token";

    [Fact]
    public async Task The_sso_token_is_a_v2_access_token_for_the_tab_app_that_validates_through_the_tenants_metadata()
    {
        await using var sandbox = await OwnSandbox.StartAsync();
        var clientId = Guid.NewGuid().ToString();
        var (status, token) = await UmasTokenAsync(sandbox, clientId);
        var result = await ValidateAsync(sandbox, token, clientId);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(result.IsValid, result.Exception?.Message);
        var claims = result.Claims;
        Assert.Equal($"{sandbox.Origin}/{Contoso}/v2.0", claims["iss"]);
        Assert.Equal(clientId, claims["aud"]);
        Assert.Equal("access_as_user", claims["scp"]);
        Assert.Equal(DemoSeed.UserId.ToString(), claims["oid"]);
        Assert.Equal(Contoso.ToString(), claims["tid"]);
        Assert.Equal("Uma User", claims["name"]);
        Assert.Equal("user@contoso.example", claims["preferred_username"]);
        Assert.Equal("2.0", claims["ver"]);
        Assert.Equal(TokenFactory.TeamsWebClientId, claims["azp"]);
        var lifetime = ((JsonWebToken)result.SecurityToken).ValidTo - ((JsonWebToken)result.SecurityToken).IssuedAt;
        Assert.InRange(lifetime, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(90));
    }

    [Fact]
    public async Task The_sso_token_does_not_validate_for_another_audience()
    {
        await using var sandbox = await OwnSandbox.StartAsync();
        var (status, token) = await UmasTokenAsync(sandbox, Guid.NewGuid().ToString());

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False((await ValidateAsync(sandbox, token, Guid.NewGuid().ToString())).IsValid);
    }

    [Fact]
    public async Task Without_webApplicationInfo_or_its_app_registration_teams_reports_resourceDisabled()
    {
        await using var sandbox = await OwnSandbox.StartAsync();
        var noSso = sandbox.Host.PublishTeamsApp(Contoso, "manifest-1", "No SSO", "1.0.0");
        var unregistered = sandbox.Host.PublishTeamsApp(Contoso, "manifest-2", "Unregistered", "1.0.0", azureAdAppId: Guid.NewGuid().ToString());
        using var client = TeamsClientPageTests.ViewClient(sandbox);
        var cookie = await TeamsClientPageTests.SignInAsync(client, "user@contoso.example");

        using var first = await TeamsClientPageTests.SendAsync(client, TokenPath, cookie, JsonContent.Create(new { teamsAppId = noSso.Id }));
        using var second = await TeamsClientPageTests.SendAsync(client, TokenPath, cookie, JsonContent.Create(new { teamsAppId = unregistered.Id }));

        Assert.Equal(HttpStatusCode.BadRequest, first.StatusCode);
        Assert.Equal("resourceDisabled", (await first.Content.ReadFromJsonAsync<JsonObject>())!["error"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, second.StatusCode);
        Assert.Equal("resourceDisabled", (await second.Content.ReadFromJsonAsync<JsonObject>())!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task No_token_without_a_signed_in_user_or_for_another_tenants_app()
    {
        await using var sandbox = await OwnSandbox.StartAsync();
        var clientId = Guid.NewGuid().ToString();
        sandbox.Host.RegisterApp(new AppRegistration { ClientId = clientId, DisplayName = "IncidentIo" });
        var staffApp = sandbox.Host.PublishTeamsApp(DemoSeed.StaffTenantId, "manifest-1", "IncidentIo", "1.0.0", azureAdAppId: clientId);
        using var client = TeamsClientPageTests.ViewClient(sandbox);
        var cookie = await TeamsClientPageTests.SignInAsync(client, "user@contoso.example");

        using var anonymous = await client.PostAsJsonAsync(TokenPath, new { teamsAppId = staffApp.Id });
        using var forged = await TeamsClientPageTests.SendAsync(client, TokenPath, $"{TeamsClientUi.UserCookie}={Guid.NewGuid()}", JsonContent.Create(new { teamsAppId = staffApp.Id }));
        using var otherTenant = await TeamsClientPageTests.SendAsync(client, TokenPath, cookie, JsonContent.Create(new { teamsAppId = staffApp.Id }));

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, otherTenant.StatusCode);
    }

    [Fact]
    public async Task Saving_a_configured_tab_pins_it_only_for_apps_installed_in_the_team_and_with_an_https_content_url()
    {
        await using var sandbox = await OwnSandbox.StartAsync();
        var team = sandbox.State.Teams.FindTeam(Contoso, TeamsSeed.EngineeringTeamId)!;
        var app = sandbox.Host.PublishTeamsApp(Contoso, "manifest-1", "IncidentIo", "1.0.0", configurationUrl: "https://portal.test/teams/config");
        var notInstalled = sandbox.Host.PublishTeamsApp(Contoso, "manifest-2", "Other", "1.0.0", configurationUrl: "https://other.test/config");
        sandbox.State.Teams.InstallInTeam(Contoso, team.Id, app.Id);
        using var client = TeamsClientPageTests.ViewClient(sandbox);
        var cookie = await TeamsClientPageTests.SignInAsync(client, "user@contoso.example");
        var tabsPath = $"{TeamsClientUi.ChannelUrl(team.Id, team.GeneralChannelId)}/tabs";

        var channel = await (await TeamsClientPageTests.SendAsync(client, TeamsClientUi.ChannelUrl(team.Id, team.GeneralChannelId), cookie)).Content.ReadAsStringAsync();
        var dialog = await (await TeamsClientPageTests.SendAsync(client, $"{TeamsClientUi.ChannelUrl(team.Id, team.GeneralChannelId)}/add-tab?app={app.Id}", cookie)).Content.ReadAsStringAsync();
        using var noDialog = await TeamsClientPageTests.SendAsync(client, $"{TeamsClientUi.ChannelUrl(team.Id, team.GeneralChannelId)}/add-tab?app={notInstalled.Id}", cookie);
        using var saved = await TeamsClientPageTests.SendAsync(client, tabsPath, cookie, JsonContent.Create(new
        {
            teamsAppId = app.Id, displayName = "Incidents", entityId = "incidents", contentUrl = "https://portal.test/teams/tab", websiteUrl = "https://portal.test/incidents",
        }));
        using var wrongApp = await TeamsClientPageTests.SendAsync(client, tabsPath, cookie, JsonContent.Create(new { teamsAppId = notInstalled.Id, contentUrl = "https://other.test/tab" }));
        using var noUrl = await TeamsClientPageTests.SendAsync(client, tabsPath, cookie, JsonContent.Create(new { teamsAppId = app.Id, contentUrl = "javascript:alert(1)" }));

        Assert.Contains("id=\"add-tab\">Add a tab</button>", channel, StringComparison.Ordinal);
        Assert.Contains($"<option value=\"{app.Id}\">IncidentIo</option>", channel, StringComparison.Ordinal);
        Assert.DoesNotContain(notInstalled.Id.ToString(), channel, StringComparison.Ordinal);
        Assert.Contains("src=\"https://portal.test/teams/config\"", dialog, StringComparison.Ordinal);
        Assert.Contains("\"frameContext\":\"settings\"", dialog, StringComparison.Ordinal);
        Assert.Contains("<button type=\"button\" id=\"save-tab\" disabled>Save</button>", dialog, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, noDialog.StatusCode);
        Assert.Equal(HttpStatusCode.OK, saved.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, wrongApp.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, noUrl.StatusCode);
        var tab = Assert.Single(sandbox.State.Teams.Tabs(team.Id, team.GeneralChannelId));
        Assert.Equal(("Incidents", "incidents", "https://portal.test/teams/tab", "https://portal.test/incidents"),
            (tab.DisplayName, tab.Configuration.EntityId, tab.Configuration.ContentUrl, tab.Configuration.WebsiteUrl));
        Assert.Equal(TeamsClientUi.ChannelUrl(team.Id, team.GeneralChannelId, tab.Id), (await saved.Content.ReadFromJsonAsync<JsonObject>())!["location"]!.GetValue<string>());
    }

    /// <summary>Uma, signed in to the Teams view, asks for an SSO token for a Contoso tab app registered as <paramref name="clientId"/>.</summary>
    private static async Task<(HttpStatusCode Status, string Token)> UmasTokenAsync(OwnSandbox sandbox, string clientId)
    {
        sandbox.Host.RegisterApp(new AppRegistration { ClientId = clientId, DisplayName = "IncidentIo" });
        var app = sandbox.Host.PublishTeamsApp(Contoso, "manifest-1", "IncidentIo", "1.0.0", azureAdAppId: clientId);
        using var client = TeamsClientPageTests.ViewClient(sandbox);
        var cookie = await TeamsClientPageTests.SignInAsync(client, "user@contoso.example");
        using var response = await TeamsClientPageTests.SendAsync(client, TokenPath, cookie, JsonContent.Create(new { teamsAppId = app.Id }));
        return (response.StatusCode, (await response.Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>());
    }

    /// <summary>Validates as a product API would: metadata and keys from the tenant's v2 OpenID configuration.</summary>
    internal static async Task<TokenValidationResult> ValidateAsync(OwnSandbox sandbox, string token, string audience)
    {
        using var http = new HttpClient(TestCertificates.Authority.CreateTrustingHandler());
        var metadata = new ConfigurationManager<OpenIdConnectConfiguration>(
            $"{sandbox.Origin}/{Contoso}/v2.0/.well-known/openid-configuration", new OpenIdConnectConfigurationRetriever(), new HttpDocumentRetriever(http));
        var configuration = await metadata.GetConfigurationAsync(CancellationToken.None);
        return await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = configuration.Issuer,
            ValidAudience = audience,
            IssuerSigningKeys = configuration.SigningKeys,
        });
    }
}
