using System.Text.Json.Nodes;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Tests.Infrastructure;

namespace IncidentIo.Sandbox.Tests.Referee;

/// <summary>
/// Microsoft's @azure/msal-node (a ConfidentialClientApplication, as a Node web app would build it)
/// against the Sandbox's Entra: what it accepts, and how it reports what the Sandbox refuses.
/// </summary>
[Collection(SharedSandbox.Name)]
public sealed class MsalNodeRefereeTests(SandboxFixture sandbox)
{
    private const string GraphDefault = "https://graph.microsoft.com/.default";

    [Fact]
    public async Task Client_credentials_give_an_app_token_for_the_tenant_with_its_roles()
    {
        var app = sandbox.RegisterApp();
        sandbox.GrantAdminConsent(app, DemoSeed.ContosoTenantId);

        var result = await RunAsync(app, DemoSeed.ContosoTenantId.ToString(), "clientCredentials", [GraphDefault]);

        Assert.True(result["ok"]!.GetValue<bool>(), result.ToJsonString());
        Assert.Equal("Bearer", result["tokenType"]!.GetValue<string>());
        var claims = result["claims"]!;
        Assert.Equal(app.ClientId, Claim(claims, "appid"));
        Assert.Equal(DemoSeed.ContosoTenantId.ToString(), Claim(claims, "tid"));
        Assert.Equal("app", Claim(claims, "idtyp"));
        Assert.Equal(["Organization.Read.All", "User.Read.All"], claims["roles"]!.AsArray().Select(r => r!.GetValue<string>()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Authorization_code_with_pkce_signs_a_person_in_through_the_sign_in_and_consent_pages()
    {
        var app = sandbox.RegisterApp();

        var result = await RunAsync(app, "organizations", "authCode", ["User.Read"], email: "user@contoso.example");

        Assert.True(result["ok"]!.GetValue<bool>(), result.ToJsonString());
        Assert.Equal(["signIn", "consent", "redirect"], result["pages"]!.AsArray().Select(p => p!.GetValue<string>()));
        Assert.True(result["stateEchoed"]!.GetValue<bool>());
        var id = result["idTokenClaims"]!;
        Assert.Equal(DemoSeed.UserId.ToString(), Claim(id, "oid"));
        Assert.Equal(DemoSeed.ContosoTenantId.ToString(), Claim(id, "tid"));
        Assert.Equal("user@contoso.example", Claim(id, "preferred_username"));
        Assert.Equal(app.ClientId, Claim(id, "aud"));
        Assert.Equal($"{sandbox.Origin}/{DemoSeed.ContosoTenantId}/v2.0", Claim(id, "iss"));
        Assert.Equal("user@contoso.example", result["account"]!["username"]!.GetValue<string>());
        Assert.Equal(DemoSeed.ContosoTenantId.ToString(), result["account"]!["tenantId"]!.GetValue<string>());
        Assert.Equal("User.Read", Claim(result["accessTokenClaims"]!, "scp"));
        Assert.Equal(DemoSeed.UserId.ToString(), Claim(result["accessTokenClaims"]!, "oid"));
    }

    [Fact]
    public async Task A_wrong_secret_is_msal_node_invalid_client()
    {
        var app = sandbox.RegisterApp();
        sandbox.GrantAdminConsent(app, DemoSeed.ContosoTenantId);

        var result = await RunAsync(app with { ClientSecrets = ["not-the-secret"] }, DemoSeed.ContosoTenantId.ToString(), "clientCredentials", [GraphDefault]);

        Assert.False(result["ok"]!.GetValue<bool>());
        var error = result["error"]!;
        Assert.Equal("ServerError", error["name"]!.GetValue<string>());
        Assert.Equal("invalid_client", error["errorCode"]!.GetValue<string>());
        Assert.Contains("AADSTS7000215", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unregistered_redirect_uri_never_reaches_the_app()
    {
        var app = sandbox.RegisterApp();

        var result = await RunAsync(app, "organizations", "authCodeWrongRedirect", ["User.Read"], email: "user@contoso.example");

        // Entra shows its own error page (AADSTS50011) instead of redirecting to an unknown URI.
        Assert.False(result["ok"]!.GetValue<bool>(), result.ToJsonString());
        Assert.Equal(["other"], result["pages"]!.AsArray().Select(p => p!.GetValue<string>()));
        Assert.Contains("AADSTS50011", result["html"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_code_redeemed_for_another_redirect_uri_is_msal_node_invalid_grant()
    {
        var app = sandbox.RegisterApp();
        sandbox.GrantAdminConsent(app, DemoSeed.ContosoTenantId);

        var result = await RunAsync(app, "organizations", "authCodeRedeemElsewhere", ["User.Read"], email: "user@contoso.example");

        Assert.False(result["ok"]!.GetValue<bool>(), result.ToJsonString());
        var error = result["error"]!;
        Assert.Equal("invalid_grant", error["errorCode"]!.GetValue<string>());
        Assert.Contains("AADSTS500112", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private Task<JsonObject> RunAsync(AppRegistration app, string tenant, string scenario, string[] scopes, string? email = null) =>
        NodeReferee.RunAsync("msal.mjs", new JsonObject
        {
            ["origin"] = sandbox.Origin,
            ["tenant"] = tenant,
            ["clientId"] = app.ClientId,
            ["secret"] = app.ClientSecrets[0],
            ["redirectUri"] = SandboxFixture.RedirectUri,
            ["otherRedirectUri"] = SandboxFixture.ConsentRedirectUri,
            ["scenario"] = scenario,
            ["scopes"] = new JsonArray([.. scopes.Select(s => JsonValue.Create(s))]),
            ["email"] = email,
        });

    private static string? Claim(JsonNode claims, string name) => claims[name]?.GetValue<string>();
}
