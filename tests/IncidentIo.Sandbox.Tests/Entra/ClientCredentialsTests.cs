using System.Net;
using System.Text.Json;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Tests.Infrastructure;
using Microsoft.Identity.Client;
using Microsoft.IdentityModel.JsonWebTokens;

namespace IncidentIo.Sandbox.Tests.Entra;

[Collection(SharedSandbox.Name)]
public sealed class ClientCredentialsTests(SandboxFixture sandbox)
{
    private static readonly string[] GraphDefault = ["https://graph.microsoft.com/.default"];

    [Fact]
    public async Task Consented_tenant_gets_an_app_token_whose_roles_match_the_grant()
    {
        var app = sandbox.RegisterApp();
        sandbox.GrantAdminConsent(app, DemoSeed.ContosoTenantId);

        var result = await sandbox.Msal(app, DemoSeed.ContosoTenantId.ToString()).AcquireTokenForClient(GraphDefault).ExecuteAsync();

        var token = new JsonWebToken(result.AccessToken);
        Assert.Equal("https://graph.microsoft.com", token.GetClaim("aud").Value);
        Assert.Equal($"https://sts.windows.net/{DemoSeed.ContosoTenantId}/", token.Issuer);
        Assert.Equal(DemoSeed.ContosoTenantId.ToString(), token.GetClaim("tid").Value);
        Assert.Equal(app.ClientId, token.GetClaim("appid").Value);
        Assert.Equal("app", token.GetClaim("idtyp").Value);
        Assert.Equal(["Organization.Read.All", "User.Read.All"], token.Claims.Where(c => c.Type == "roles").Select(c => c.Value).Order());
        Assert.True(result.ExpiresOn > DateTimeOffset.UtcNow.AddMinutes(55));
    }

    [Fact]
    public async Task A_domain_authority_works_like_the_tenant_guid()
    {
        var app = sandbox.RegisterApp();
        sandbox.GrantAdminConsent(app, DemoSeed.ContosoTenantId);

        var result = await sandbox.Msal(app, DemoSeed.ContosoDomain).AcquireTokenForClient(GraphDefault).ExecuteAsync();

        Assert.Equal(DemoSeed.ContosoTenantId.ToString(), new JsonWebToken(result.AccessToken).GetClaim("tid").Value);
    }

    [Theory]
    [InlineData("organizations")]
    [InlineData("common")]
    public async Task Refused_on_a_multi_tenant_authority(string tenant)
    {
        var app = sandbox.RegisterApp();
        sandbox.GrantAdminConsent(app, DemoSeed.ContosoTenantId);

        var error = await Assert.ThrowsAsync<MsalServiceException>(() => sandbox.Msal(app, tenant).AcquireTokenForClient(GraphDefault).ExecuteAsync());

        Assert.Equal("invalid_request", error.ErrorCode);
        Assert.StartsWith("AADSTS50059:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refused_with_AADSTS700016_before_any_consent()
    {
        var app = sandbox.RegisterApp();

        var error = await Assert.ThrowsAsync<MsalServiceException>(() =>
            sandbox.Msal(app, DemoSeed.ContosoTenantId.ToString()).AcquireTokenForClient(GraphDefault).ExecuteAsync());

        Assert.Equal("unauthorized_client", error.ErrorCode);
        Assert.Contains("AADSTS700016", error.Message, StringComparison.Ordinal);
        Assert.Contains(app.ClientId, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_secret_is_invalid_client()
    {
        var app = sandbox.RegisterApp();
        sandbox.GrantAdminConsent(app, DemoSeed.ContosoTenantId);
        var msal = ConfidentialClientApplicationBuilder.Create(app.ClientId)
            .WithClientSecret("wrong")
            .WithAuthority($"{sandbox.Origin}/{DemoSeed.ContosoTenantId}")
            .WithHttpClientFactory(new MsalHttpClientFactory(sandbox.Http))
            .Build();

        var error = await Assert.ThrowsAsync<MsalServiceException>(() => msal.AcquireTokenForClient(GraphDefault).ExecuteAsync());

        Assert.Equal("invalid_client", error.ErrorCode);
        Assert.Contains("AADSTS7000215", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Errors_have_entra_shape_and_echo_the_client_request_id_as_correlation_id()
    {
        var app = sandbox.RegisterApp();
        sandbox.GrantAdminConsent(app, DemoSeed.ContosoTenantId);
        var correlation = Guid.NewGuid();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/{DemoSeed.ContosoTenantId}/oauth2/v2.0/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["client_id"] = app.ClientId,
                ["client_secret"] = app.ClientSecrets[0],
                ["scope"] = "https://graph.microsoft.com/User.Read.All",
            }),
        };
        request.Headers.Add("client-request-id", correlation.ToString());

        using var response = await sandbox.Http.SendAsync(request);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_scope", body.GetProperty("error").GetString());
        Assert.Equal(1002012, body.GetProperty("error_codes")[0].GetInt32());
        Assert.Equal(correlation.ToString(), body.GetProperty("correlation_id").GetString());
        var lines = body.GetProperty("error_description").GetString()!.Split("\r\n");
        Assert.StartsWith("AADSTS1002012: ", lines[0], StringComparison.Ordinal);
        Assert.Equal($"Trace ID: {body.GetProperty("trace_id").GetString()}", lines[1]);
        Assert.Equal($"Correlation ID: {correlation}", lines[2]);
        Assert.Equal($"Timestamp: {body.GetProperty("timestamp").GetString()}", lines[3]);
        Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$", body.GetProperty("timestamp").GetString());
        Assert.Equal($"{sandbox.Origin}/error?code=1002012", body.GetProperty("error_uri").GetString());
    }

    [Fact]
    public async Task Http_basic_client_authentication_is_accepted()
    {
        var app = sandbox.RegisterApp();
        sandbox.GrantAdminConsent(app, DemoSeed.ContosoTenantId);
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/{DemoSeed.ContosoTenantId}/oauth2/v2.0/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials",
                ["scope"] = "https://graph.microsoft.com/.default",
            }),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{app.ClientId}:{app.ClientSecrets[0]}")));

        using var response = await sandbox.Http.SendAsync(request);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.Equal(3599, body.GetProperty("expires_in").GetInt32());
        Assert.Equal(3599, body.GetProperty("ext_expires_in").GetInt32());
        Assert.False(body.TryGetProperty("refresh_token", out _));
    }
}
