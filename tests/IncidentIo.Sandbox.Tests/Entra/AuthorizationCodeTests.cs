using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Identity.Client;
using Microsoft.IdentityModel.JsonWebTokens;

namespace IncidentIo.Sandbox.Tests.Entra;

[Collection(SharedSandbox.Name)]
public sealed class AuthorizationCodeTests(SandboxFixture sandbox)
{
    private static readonly string[] UserRead = ["User.Read"];

    [Fact]
    public async Task Sign_in_consent_redeem_with_msal_then_silent_and_refresh()
    {
        var app = sandbox.RegisterApp();
        var msal = sandbox.Msal(app, "organizations");
        var url = await msal.GetAuthorizationRequestUrl(UserRead).WithPkce(out var verifier).ExecuteAsync();
        using var browser = sandbox.Browser();

        var page = await browser.GetAsync(QueryHelpers.AddQueryString(url.ToString(), "nonce", "nonce-123"));
        Assert.True(page.IsSignIn, page.Html);
        page = await browser.SignInAsync(page, "user@contoso.example");
        Assert.True(page.IsConsent, page.Html);
        Assert.Contains("User.Read", page.Html, StringComparison.Ordinal);
        page = await browser.AcceptAsync(page);

        Assert.Equal(HttpStatusCode.Redirect, page.Status);
        Assert.StartsWith(SandboxFixture.RedirectUri, page.Location!.ToString(), StringComparison.Ordinal);
        var result = await msal.AcquireTokenByAuthorizationCode(UserRead, page.Result["code"]).WithPkceCodeVerifier(verifier).ExecuteAsync();

        var idToken = new JsonWebToken(result.IdToken);
        Assert.Equal("nonce-123", idToken.GetClaim("nonce").Value);
        Assert.Equal(DemoSeed.UserId.ToString(), idToken.GetClaim("oid").Value);
        Assert.Equal(DemoSeed.ContosoTenantId.ToString(), idToken.GetClaim("tid").Value);
        Assert.Equal("user@contoso.example", idToken.GetClaim("preferred_username").Value);
        Assert.Equal("Uma User", idToken.GetClaim("name").Value);
        Assert.Equal("2.0", idToken.GetClaim("ver").Value);
        Assert.Equal(app.ClientId, idToken.Audiences.Single());
        Assert.Equal($"{sandbox.Origin}/{DemoSeed.ContosoTenantId}/v2.0", idToken.Issuer);
        Assert.Equal($"{DemoSeed.UserId}.{DemoSeed.ContosoTenantId}", result.Account.HomeAccountId.Identifier);
        Assert.Equal("user@contoso.example", result.Account.Username);
        Assert.Equal(UserRead, result.Scopes);

        var access = new JsonWebToken(result.AccessToken);
        Assert.Equal("User.Read", access.GetClaim("scp").Value);
        Assert.Equal("user", access.GetClaim("idtyp").Value);

        var account = await msal.GetAccountAsync(result.Account.HomeAccountId.Identifier);
        var silent = await msal.AcquireTokenSilent(UserRead, account).ExecuteAsync();
        Assert.Equal(TokenSource.Cache, silent.AuthenticationResultMetadata.TokenSource);
        Assert.Equal(result.AccessToken, silent.AccessToken);

        var refreshed = await msal.AcquireTokenSilent(UserRead, account).WithForceRefresh(true).ExecuteAsync();
        Assert.Equal(TokenSource.IdentityProvider, refreshed.AuthenticationResultMetadata.TokenSource);
        Assert.NotEqual(result.AccessToken, refreshed.AccessToken);
        Assert.Equal(DemoSeed.UserId.ToString(), new JsonWebToken(refreshed.AccessToken).GetClaim("oid").Value);
    }

    [Fact]
    public async Task Form_post_delivers_code_and_state_and_consent_is_remembered()
    {
        var app = sandbox.RegisterApp();
        var (code, _) = await SignInAsync(app, "admin@contoso.example", "form_post", Pkce.Create());
        Assert.NotEmpty(code);

        // Second sign-in in a new browser: consent was recorded, so no consent page this time.
        using var browser = sandbox.Browser();
        var page = await browser.GetAsync(AuthorizeUrl(app, "form_post", Pkce.Create(), "state-2"));
        page = await browser.SignInAsync(page, "admin@contoso.example");
        Assert.False(page.IsConsent);
        Assert.Equal("state-2", page.Result["state"]);
        Assert.True(page.Result.ContainsKey("code"));
    }

    [Fact]
    public async Task A_wrong_pkce_verifier_is_refused()
    {
        var app = sandbox.RegisterApp();
        var (code, _) = await SignInAsync(app, "user@contoso.example", "query", Pkce.Create());

        // invalid_grant: MSAL raises its UI-required subtype, as against Entra.
        var error = await Assert.ThrowsAsync<MsalUiRequiredException>(() =>
            sandbox.Msal(app, "organizations").AcquireTokenByAuthorizationCode(UserRead, code).WithPkceCodeVerifier(Pkce.Create().Verifier).ExecuteAsync());

        Assert.Equal("invalid_grant", error.ErrorCode);
        Assert.Contains("AADSTS501481", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_code_is_single_use_and_bound_to_its_redirect_uri()
    {
        var app = sandbox.RegisterApp();
        var pkce = Pkce.Create();
        var (code, _) = await SignInAsync(app, "user@contoso.example", "query", pkce);
        var (other, _) = await SignInAsync(app, "user@contoso.example", "query", pkce);

        var first = await RedeemAsync(app, code, pkce.Verifier, SandboxFixture.RedirectUri);
        var again = await RedeemAsync(app, code, pkce.Verifier, SandboxFixture.RedirectUri);
        var wrongRedirect = await RedeemAsync(app, other, pkce.Verifier, SandboxFixture.ConsentRedirectUri);

        Assert.True(first.TryGetProperty("access_token", out _));
        Assert.Equal(54005, again.GetProperty("error_codes")[0].GetInt32());
        Assert.Equal("invalid_grant", wrongRedirect.GetProperty("error").GetString());
        Assert.Equal(500112, wrongRedirect.GetProperty("error_codes")[0].GetInt32());
    }

    [Fact]
    public async Task Token_response_has_client_info_and_leaves_oidc_scopes_out_of_scope()
    {
        var app = sandbox.RegisterApp();
        var pkce = Pkce.Create();
        var (code, _) = await SignInAsync(app, "user@contoso.example", "query", pkce);

        var body = await RedeemAsync(app, code, pkce.Verifier, SandboxFixture.RedirectUri);

        Assert.Equal("User.Read", body.GetProperty("scope").GetString());
        Assert.Equal(3599, body.GetProperty("expires_in").GetInt32());
        Assert.True(body.TryGetProperty("refresh_token", out _));
        Assert.True(body.TryGetProperty("id_token", out _));
        var clientInfo = JsonDocument.Parse(WebEncoders.Base64UrlDecode(body.GetProperty("client_info").GetString()!)).RootElement;
        Assert.Equal(DemoSeed.UserId.ToString(), clientInfo.GetProperty("uid").GetString());
        Assert.Equal(DemoSeed.ContosoTenantId.ToString(), clientInfo.GetProperty("utid").GetString());
    }

    [Fact]
    public async Task Unknown_email_shows_an_error_on_the_sign_in_page()
    {
        var app = sandbox.RegisterApp();
        using var browser = sandbox.Browser();
        var page = await browser.GetAsync(AuthorizeUrl(app, "query", Pkce.Create(), "s"));

        page = await browser.SignInAsync(page, "nobody@contoso.example");

        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.True(page.IsSignIn);
        Assert.Contains("AADSTS50034", page.Html, StringComparison.Ordinal);
        Assert.Null(page.Location);
    }

    [Fact]
    public async Task A_user_of_another_tenant_cannot_sign_in_to_a_tenant_authority()
    {
        var app = sandbox.RegisterApp();
        using var browser = sandbox.Browser();
        var page = await browser.GetAsync(AuthorizeUrl(app, "query", Pkce.Create(), "s", tenant: DemoSeed.ContosoDomain));

        page = await browser.SignInAsync(page, "staff@incidentio.example");

        Assert.True(page.IsSignIn);
        Assert.Contains("AADSTS50020", page.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_consent_redirects_access_denied_AADSTS65004()
    {
        var app = sandbox.RegisterApp();
        using var browser = sandbox.Browser();
        var page = await browser.GetAsync(AuthorizeUrl(app, "query", Pkce.Create(), "my-state"));
        page = await browser.SignInAsync(page, "user@contoso.example");

        page = await browser.CancelAsync(page);

        Assert.Equal("access_denied", page.Result["error"]);
        Assert.StartsWith("AADSTS65004: User declined to consent to access the app.\r\nTrace ID: ", page.Result["error_description"], StringComparison.Ordinal);
        Assert.Equal("my-state", page.Result["state"]);
        Assert.False(page.Result.ContainsKey("code"));
    }

    [Fact]
    public async Task Prompt_none_without_a_session_is_login_required_and_with_one_is_silent()
    {
        var app = sandbox.RegisterApp();
        using var browser = sandbox.Browser();

        var none = await browser.GetAsync(AuthorizeUrl(app, "query", Pkce.Create(), "s1") + "&prompt=none");
        Assert.Equal("login_required", none.Result["error"]);
        Assert.Equal("s1", none.Result["state"]);

        var page = await browser.GetAsync(AuthorizeUrl(app, "query", Pkce.Create(), "s2"));
        page = await browser.AcceptAsync(await browser.SignInAsync(page, "user@contoso.example"));
        Assert.True(page.Result.ContainsKey("code"));

        var silent = await browser.GetAsync(AuthorizeUrl(app, "query", Pkce.Create(), "s3") + "&prompt=none");
        Assert.True(silent.Result.ContainsKey("code"));
        Assert.Equal("s3", silent.Result["state"]);
    }

    [Fact]
    public async Task Signed_in_accounts_show_as_tiles_and_logout_clears_them()
    {
        var app = sandbox.RegisterApp();
        using var browser = sandbox.Browser();
        var page = await browser.GetAsync(AuthorizeUrl(app, "query", Pkce.Create(), "s"));
        await browser.AcceptAsync(await browser.SignInAsync(page, "user@contoso.example"));

        var picker = await browser.GetAsync(AuthorizeUrl(app, "query", Pkce.Create(), "s") + "&prompt=select_account");
        Assert.True(picker.IsSignIn);
        Assert.Contains("class=\"tile\"", picker.Html, StringComparison.Ordinal);
        Assert.Contains("Uma User", picker.Html, StringComparison.Ordinal);

        var logout = await browser.GetAsync($"{sandbox.Origin}/organizations/oauth2/v2.0/logout?post_logout_redirect_uri={Uri.EscapeDataString("https://portal.test/signed-out")}");
        Assert.Equal("https://portal.test/signed-out", logout.Location!.ToString());

        var after = await browser.GetAsync(AuthorizeUrl(app, "query", Pkce.Create(), "s") + "&prompt=none");
        Assert.Equal("login_required", after.Result["error"]);
    }

    [Fact]
    public async Task Unknown_client_and_unregistered_redirect_uri_are_error_pages_never_redirects()
    {
        var app = sandbox.RegisterApp();
        using var browser = sandbox.Browser();

        var unknown = await browser.GetAsync(AuthorizeUrl(app, "query", Pkce.Create(), "s").Replace(app.ClientId, Guid.NewGuid().ToString(), StringComparison.Ordinal));
        var badRedirect = await browser.GetAsync(AuthorizeUrl(app, "query", Pkce.Create(), "s", redirectUri: "https://evil.test/callback"));

        Assert.Equal(HttpStatusCode.BadRequest, unknown.Status);
        Assert.Null(unknown.Location);
        Assert.Contains("AADSTS700016", unknown.Html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, badRedirect.Status);
        Assert.Null(badRedirect.Location);
        Assert.Contains("AADSTS50011", badRedirect.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_non_admin_asked_for_an_admin_only_scope_needs_admin_approval()
    {
        var app = sandbox.RegisterApp();
        using var browser = sandbox.Browser();
        var url = AuthorizeUrl(app, "query", Pkce.Create(), "s").Replace("User.Read", "User.Read.All", StringComparison.Ordinal);

        var page = await browser.SignInAsync(await browser.GetAsync(url), "user@contoso.example");

        Assert.Contains("Need admin approval", page.Html, StringComparison.Ordinal);
        Assert.Contains("AADSTS90094", page.Html, StringComparison.Ordinal);
        Assert.False(page.IsConsent);
    }

    [Fact]
    public async Task An_admin_can_consent_for_the_organization_from_the_sign_in_consent_screen()
    {
        var app = sandbox.RegisterApp();
        using var browser = sandbox.Browser();
        var page = await browser.SignInAsync(await browser.GetAsync(AuthorizeUrl(app, "query", Pkce.Create(), "s")), "admin@contoso.example");
        Assert.Contains("Consent on behalf of your organization", page.Html, StringComparison.Ordinal);

        page = await browser.AcceptAsync(page, forOrganization: true);

        Assert.True(page.Result.ContainsKey("code"));
        Assert.Contains("User.Read", sandbox.State.FindGrant(DemoSeed.ContosoTenantId, app.ClientId)!.TenantDelegatedScopes);
        var (code, _) = await SignInAsync(app, "loner1@contoso.example", "query", Pkce.Create());
        Assert.NotEmpty(code);
    }

    private string AuthorizeUrl(IncidentIo.Sandbox.State.AppRegistration app, string responseMode, Pkce pkce, string state,
        string tenant = "organizations", string redirectUri = SandboxFixture.RedirectUri) =>
        QueryHelpers.AddQueryString($"{sandbox.Origin}/{tenant}/oauth2/v2.0/authorize", new Dictionary<string, string?>
        {
            ["client_id"] = app.ClientId,
            ["response_type"] = "code",
            ["redirect_uri"] = redirectUri,
            ["response_mode"] = responseMode,
            ["scope"] = "openid profile offline_access User.Read",
            ["state"] = state,
            ["nonce"] = "n",
            ["code_challenge"] = pkce.Challenge,
            ["code_challenge_method"] = "S256",
        });

    private async Task<(string Code, Browser.Page Page)> SignInAsync(IncidentIo.Sandbox.State.AppRegistration app, string email, string responseMode, Pkce pkce)
    {
        using var browser = sandbox.Browser();
        var page = await browser.GetAsync(AuthorizeUrl(app, responseMode, pkce, "state-1"));
        page = await browser.SignInAsync(page, email);
        if (page.IsConsent)
        {
            page = await browser.AcceptAsync(page);
        }

        Assert.Equal("state-1", page.Result["state"]);
        return (page.Result["code"], page);
    }

    private async Task<JsonElement> RedeemAsync(IncidentIo.Sandbox.State.AppRegistration app, string code, string verifier, string redirectUri)
    {
        using var content = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["client_id"] = app.ClientId,
            ["client_secret"] = app.ClientSecrets[0],
            ["code"] = code,
            ["redirect_uri"] = redirectUri,
            ["code_verifier"] = verifier,
            ["scope"] = "openid profile offline_access User.Read",
            ["client_info"] = "1",
        });
        using var response = await sandbox.Http.PostAsync("/organizations/oauth2/v2.0/token", content);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    private sealed record Pkce(string Verifier, string Challenge)
    {
        public static Pkce Create()
        {
            var verifier = WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));
            return new Pkce(verifier, WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
        }
    }
}
