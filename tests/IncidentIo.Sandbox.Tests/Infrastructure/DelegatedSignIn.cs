using System.Security.Cryptography;
using System.Text;
using IncidentIo.Sandbox.State;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Identity.Client;

namespace IncidentIo.Sandbox.Tests.Infrastructure;

/// <summary>Signs a user in through the Sandbox pages and redeems the code with MSAL.</summary>
public static class DelegatedSignIn
{
    public static async Task<AuthenticationResult> SignInAsync(SandboxFixture sandbox, AppRegistration app, string email, string[] scopes)
    {
        var msal = sandbox.Msal(app, "organizations");
        var verifier = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
        var url = QueryHelpers.AddQueryString($"{sandbox.Origin}/organizations/oauth2/v2.0/authorize", new Dictionary<string, string?>
        {
            ["client_id"] = app.ClientId,
            ["response_type"] = "code",
            ["redirect_uri"] = SandboxFixture.RedirectUri,
            ["scope"] = $"openid profile offline_access {string.Join(' ', scopes)}",
            ["state"] = "s",
            ["code_challenge"] = WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))),
            ["code_challenge_method"] = "S256",
        });
        using var browser = sandbox.Browser();
        var page = await browser.SignInAsync(await browser.GetAsync(url), email);
        if (page.IsConsent)
        {
            page = await browser.AcceptAsync(page);
        }

        return await msal.AcquireTokenByAuthorizationCode(scopes, page.Result["code"]).WithPkceCodeVerifier(verifier).ExecuteAsync();
    }
}
