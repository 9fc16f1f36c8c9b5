using System.Net;
using System.Text.Json;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Tests.Infrastructure;

namespace IncidentIo.Sandbox.Tests.Graph;

/// <summary>Each broken token must be refused with 401 InvalidAuthenticationToken, never served.</summary>
[Collection(SharedSandbox.Name)]
public sealed class GraphTokenValidationTests(SandboxFixture sandbox)
{
    [Fact]
    public async Task No_token_is_401_with_a_challenge()
    {
        using var response = await sandbox.Http.GetAsync("/v1.0/organization");

        await AssertUnauthorizedAsync(response, "Access token is empty.");
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tampered_token_is_401()
    {
        var token = await AppTokenAsync();
        var parts = token.Split('.');
        var payload = JsonSerializerPayload(parts[1]).Replace("\"Organization.Read.All\"", "\"Directory.ReadWrite.All\"", StringComparison.Ordinal);
        var tampered = $"{parts[0]}.{Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlEncode(System.Text.Encoding.UTF8.GetBytes(payload))}.{parts[2]}";

        await AssertUnauthorizedAsync(await CallAsync(tampered), "Access token validation failure. Invalid signature.");
        await AssertUnauthorizedAsync(await CallAsync("not-a-jwt"), "IDX14100");
    }

    [Fact]
    public async Task A_token_for_another_audience_is_401()
    {
        var app = sandbox.RegisterApp();
        var signIn = await DelegatedSignIn.SignInAsync(sandbox, app, "user@contoso.example", ["User.Read"]);

        // The ID token is signed by the same keys, but its audience is the app, not Graph.
        await AssertUnauthorizedAsync(await CallAsync(signIn.IdToken), "Access token validation failure. Invalid audience.");
    }

    [Fact]
    public async Task A_token_signed_by_a_retired_key_is_401()
    {
        var token = await AppTokenAsync();
        var old = sandbox.Host.SigningKeys.Current.KeyId;
        sandbox.Host.SigningKeys.Rotate();
        sandbox.Host.SigningKeys.Retire(old);

        await AssertUnauthorizedAsync(await CallAsync(token), "Invalid signature");
    }

    private async Task<string> AppTokenAsync()
    {
        var app = sandbox.RegisterApp();
        sandbox.GrantAdminConsent(app, DemoSeed.ContosoTenantId);
        return await sandbox.AppTokenAsync(app, DemoSeed.ContosoTenantId);
    }

    private async Task<HttpResponseMessage> CallAsync(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1.0/organization");
        request.Headers.Authorization = new("Bearer", token);
        return await sandbox.Http.SendAsync(request);
    }

    private static async Task AssertUnauthorizedAsync(HttpResponseMessage response, string message)
    {
        using (response)
        {
            var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("InvalidAuthenticationToken", error.GetProperty("code").GetString());
            Assert.Contains(message, error.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.True(error.GetProperty("innerError").TryGetProperty("request-id", out _));
        }
    }

    private static string JsonSerializerPayload(string part) =>
        System.Text.Encoding.UTF8.GetString(Microsoft.AspNetCore.WebUtilities.WebEncoders.Base64UrlDecode(part));
}
