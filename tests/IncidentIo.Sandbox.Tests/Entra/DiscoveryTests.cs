using System.Net;
using System.Text.Json;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace IncidentIo.Sandbox.Tests.Entra;

[Collection(SharedSandbox.Name)]
public sealed class DiscoveryTests(SandboxFixture sandbox)
{
    [Theory]
    [InlineData("common")]
    [InlineData("organizations")]
    public async Task Multi_tenant_metadata_has_the_tenantid_placeholder_issuer(string tenant)
    {
        var config = await RetrieveAsync(tenant);

        Assert.Equal($"{sandbox.Origin}/{{tenantid}}/v2.0", config.Issuer);
        Assert.Equal($"{sandbox.Origin}/{tenant}/oauth2/v2.0/authorize", config.AuthorizationEndpoint);
        Assert.Equal($"{sandbox.Origin}/{tenant}/oauth2/v2.0/token", config.TokenEndpoint);
        Assert.NotEmpty(config.SigningKeys);
    }

    [Theory]
    [InlineData("c0a7050c-0000-4000-8000-000000000000")]
    [InlineData("contoso.example")]
    public async Task Tenant_metadata_names_the_tenant_guid(string tenant)
    {
        var config = await RetrieveAsync(tenant);

        Assert.Equal($"{sandbox.Origin}/{DemoSeed.ContosoTenantId}/v2.0", config.Issuer);
        Assert.Equal($"{sandbox.Origin}/{DemoSeed.ContosoTenantId}/discovery/v2.0/keys", config.JwksUri);
        Assert.Equal($"{sandbox.Origin}/{DemoSeed.ContosoTenantId}/oauth2/v2.0/logout", config.EndSessionEndpoint);
    }

    [Fact]
    public async Task Unknown_tenant_is_AADSTS90002()
    {
        using var response = await sandbox.Http.GetAsync("/nowhere.example/v2.0/.well-known/openid-configuration");
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_tenant", body.GetProperty("error").GetString());
        Assert.StartsWith("AADSTS90002:", body.GetProperty("error_description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Instance_discovery_names_the_sandbox_host()
    {
        var host = new Uri(sandbox.Origin).Authority;
        var authorize = Uri.EscapeDataString($"{sandbox.Origin}/contoso.example/oauth2/v2.0/authorize");
        var body = JsonDocument.Parse(await sandbox.Http.GetStringAsync(
            $"https://login.microsoftonline.com/common/discovery/instance?api-version=1.1&authorization_endpoint={authorize}")).RootElement;

        Assert.Equal($"{sandbox.Origin}/contoso.example/v2.0/.well-known/openid-configuration", body.GetProperty("tenant_discovery_endpoint").GetString());
        var metadata = body.GetProperty("metadata")[0];
        Assert.Equal(host, metadata.GetProperty("preferred_network").GetString());
        Assert.Equal(host, metadata.GetProperty("aliases")[0].GetString());
    }

    [Fact]
    public async Task Rotated_keys_are_all_published_and_old_tokens_still_validate()
    {
        var app = sandbox.RegisterApp();
        sandbox.GrantAdminConsent(app, DemoSeed.ContosoTenantId);
        var before = await RequestTokenAsync(app);
        var oldKid = sandbox.Host.SigningKeys.Current.KeyId;

        var newKey = sandbox.Host.SigningKeys.Rotate();
        var after = await RequestTokenAsync(app);
        var config = await RetrieveAsync(DemoSeed.ContosoTenantId.ToString());

        Assert.Contains(config.SigningKeys, k => k.KeyId == oldKid);
        Assert.Contains(config.SigningKeys, k => k.KeyId == newKey.KeyId);
        Assert.Equal(oldKid, new JsonWebToken(before).Kid);
        Assert.Equal(newKey.KeyId, new JsonWebToken(after).Kid);
        foreach (var token in new[] { before, after })
        {
            var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
            {
                ValidIssuer = $"https://sts.windows.net/{DemoSeed.ContosoTenantId}/",
                ValidAudience = "https://graph.microsoft.com",
                IssuerSigningKeys = config.SigningKeys,
            });
            Assert.True(result.IsValid, result.Exception?.Message);
        }
    }

    private async Task<string> RequestTokenAsync(IncidentIo.Sandbox.State.AppRegistration app)
    {
        // A raw request: MSAL would answer the second call from its cache.
        using var content = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = app.ClientId,
            ["client_secret"] = app.ClientSecrets[0],
            ["scope"] = "https://graph.microsoft.com/.default",
        });
        using var response = await sandbox.Http.PostAsync($"/{DemoSeed.ContosoTenantId}/oauth2/v2.0/token", content);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString()!;
    }

    private Task<OpenIdConnectConfiguration> RetrieveAsync(string tenant) =>
        OpenIdConnectConfigurationRetriever.GetAsync(
            $"{sandbox.Origin}/{tenant}/v2.0/.well-known/openid-configuration",
            new HttpDocumentRetriever(sandbox.Http),
            CancellationToken.None);
}
