using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;

namespace IncidentIo.Sandbox.Tests.Entra;

/// <summary>Codes and tokens expire on the Sandbox clock; these tests move it, on a Sandbox of their own.</summary>
[Collection(MovingClockSandbox.Name)]
public sealed class ExpiryTests(SandboxFixture sandbox)
{
    [Fact]
    public async Task A_code_expires_after_ten_minutes()
    {
        var app = sandbox.RegisterApp();
        var verifier = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        using var browser = sandbox.Browser();
        var page = await browser.GetAsync(QueryHelpers.AddQueryString($"{sandbox.Origin}/organizations/oauth2/v2.0/authorize", new Dictionary<string, string?>
        {
            ["client_id"] = app.ClientId,
            ["response_type"] = "code",
            ["redirect_uri"] = SandboxFixture.RedirectUri,
            ["scope"] = "openid User.Read",
            ["code_challenge"] = WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))),
            ["code_challenge_method"] = "S256",
        }));
        page = await browser.AcceptAsync(await browser.SignInAsync(page, "user@contoso.example"));

        sandbox.Clock.Advance(TimeSpan.FromMinutes(11));
        using var content = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["client_id"] = app.ClientId,
            ["client_secret"] = app.ClientSecrets[0],
            ["code"] = page.Result["code"],
            ["redirect_uri"] = SandboxFixture.RedirectUri,
            ["code_verifier"] = verifier,
        });
        using var response = await sandbox.Http.PostAsync("/organizations/oauth2/v2.0/token", content);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_grant", body.GetProperty("error").GetString());
        Assert.Equal(70008, body.GetProperty("error_codes")[0].GetInt32());
    }

    [Fact]
    public async Task An_expired_graph_token_is_401()
    {
        var app = sandbox.RegisterApp();
        sandbox.GrantAdminConsent(app, DemoSeed.ContosoTenantId);
        var token = await sandbox.AppTokenAsync(app, DemoSeed.ContosoTenantId);
        using (var fresh = await CallAsync(token))
        {
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        }

        sandbox.Clock.Advance(TimeSpan.FromHours(2));

        using var expired = await CallAsync(token);
        var error = JsonDocument.Parse(await expired.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Equal("InvalidAuthenticationToken", error.GetProperty("code").GetString());
        Assert.Equal("Lifetime validation failed, the token is expired.", error.GetProperty("message").GetString());
    }

    private async Task<HttpResponseMessage> CallAsync(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1.0/organization");
        request.Headers.Authorization = new("Bearer", token);
        return await sandbox.Http.SendAsync(request);
    }
}
