using System.Net;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Tests.Infrastructure;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.IdentityModel.JsonWebTokens;

namespace IncidentIo.Sandbox.Tests.Entra;

[Collection(SharedSandbox.Name)]
public sealed class AdminConsentTests(SandboxFixture sandbox)
{
    [Fact]
    public async Task Admin_accepts_then_app_tokens_carry_the_granted_roles()
    {
        var app = sandbox.RegisterApp();
        using var browser = sandbox.Browser();

        var page = await browser.GetAsync(AdminConsentUrl(app, "organizations"));
        Assert.True(page.IsSignIn);
        page = await browser.SignInAsync(page, "admin@contoso.example");
        Assert.True(page.IsConsent, page.Html);
        Assert.Contains("Accept for your organization", page.Html, StringComparison.Ordinal);
        Assert.Contains("User.Read.All (application)", page.Html, StringComparison.Ordinal);
        page = await browser.AcceptAsync(page);

        Assert.Equal(HttpStatusCode.Redirect, page.Status);
        Assert.StartsWith(SandboxFixture.ConsentRedirectUri, page.Location!.ToString(), StringComparison.Ordinal);
        Assert.Equal("True", page.Result["admin_consent"]);
        Assert.Equal(DemoSeed.ContosoTenantId.ToString(), page.Result["tenant"]);
        Assert.Equal("consent-state", page.Result["state"]);
        Assert.Contains("https://graph.microsoft.com/User.Read.All", page.Result["scope"].Split(' '));
        Assert.Contains("https://graph.microsoft.com/Organization.Read.All", page.Result["scope"].Split(' '));

        var token = new JsonWebToken(await sandbox.AppTokenAsync(app, DemoSeed.ContosoTenantId));
        Assert.Equal(["Organization.Read.All", "User.Read.All"], token.Claims.Where(c => c.Type == "roles").Select(c => c.Value).Order());
        var grant = sandbox.State.FindGrant(DemoSeed.ContosoTenantId, app.ClientId)!;
        Assert.NotNull(grant.AdminConsentedAt);
        Assert.Contains("User.Read", grant.TenantDelegatedScopes);
    }

    [Fact]
    public async Task Cancel_redirects_access_denied_without_tenant()
    {
        var app = sandbox.RegisterApp();
        using var browser = sandbox.Browser();
        var page = await browser.SignInAsync(await browser.GetAsync(AdminConsentUrl(app, "organizations")), "admin@contoso.example");

        page = await browser.CancelAsync(page);

        var result = page.Result;
        Assert.Equal("access_denied", result["error"]);
        Assert.Matches(
            @"^AADSTS65004: User declined to consent to access the app\.\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$",
            result["error_description"]);
        Assert.Equal($"{sandbox.Origin}/error?code=65004", result["error_uri"]);
        Assert.Equal("True", result["admin_consent"]);
        Assert.Equal("consent-state", result["state"]);
        Assert.False(result.ContainsKey("tenant"));
        Assert.Null(sandbox.State.FindGrant(DemoSeed.ContosoTenantId, app.ClientId));
    }

    [Fact]
    public async Task A_non_admin_sees_need_admin_approval_and_returns_with_AADSTS90094()
    {
        var app = sandbox.RegisterApp();
        using var browser = sandbox.Browser();

        var page = await browser.SignInAsync(await browser.GetAsync(AdminConsentUrl(app, "organizations")), "user@contoso.example");

        Assert.Contains("Need admin approval", page.Html, StringComparison.Ordinal);
        Assert.False(page.IsConsent);
        var link = System.Text.RegularExpressions.Regex.Match(page.Html, "id=\"return\" href=\"([^\"]+)\"").Groups[1].Value;
        var returned = new Uri(WebUtility.HtmlDecode(link));
        Assert.StartsWith(SandboxFixture.ConsentRedirectUri, returned.ToString(), StringComparison.Ordinal);
        var result = QueryHelpers.ParseQuery(returned.Query);
        Assert.Equal("access_denied", result["error"]);
        Assert.StartsWith("AADSTS90094: ", result["error_description"].ToString(), StringComparison.Ordinal);
        Assert.Equal("True", result["admin_consent"]);
        Assert.Equal("consent-state", result["state"]);
        Assert.False(result.ContainsKey("tenant"));
        Assert.Null(sandbox.State.FindGrant(DemoSeed.ContosoTenantId, app.ClientId));
    }

    [Fact]
    public async Task Unknown_client_id_is_an_error_page()
    {
        var app = sandbox.RegisterApp();
        using var browser = sandbox.Browser();

        var page = await browser.GetAsync(AdminConsentUrl(app with { ClientId = Guid.NewGuid().ToString() }, "organizations"));

        Assert.Equal(HttpStatusCode.BadRequest, page.Status);
        Assert.Null(page.Location);
        Assert.Contains("AADSTS700016", page.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unregistered_redirect_uri_is_an_error_page_never_a_redirect()
    {
        var app = sandbox.RegisterApp();
        using var browser = sandbox.Browser();

        var page = await browser.GetAsync(AdminConsentUrl(app, "organizations", "https://evil.test/consent"));

        Assert.Equal(HttpStatusCode.BadRequest, page.Status);
        Assert.Null(page.Location);
        Assert.Contains("AADSTS50011", page.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_admin_of_another_tenant_is_refused_on_a_tenant_url()
    {
        var app = sandbox.RegisterApp();
        using var browser = sandbox.Browser();

        var page = await browser.SignInAsync(await browser.GetAsync(AdminConsentUrl(app, DemoSeed.ContosoDomain)), "staff@incidentio.example");

        Assert.Equal("access_denied", page.Result["error"]);
        Assert.StartsWith("AADSTS50020: ", page.Result["error_description"], StringComparison.Ordinal);
        Assert.False(page.Result.ContainsKey("tenant"));
    }

    [Fact]
    public async Task V1_endpoint_grants_the_application_permissions()
    {
        var app = sandbox.RegisterApp();
        using var browser = sandbox.Browser();
        var url = QueryHelpers.AddQueryString($"{sandbox.Origin}/common/adminconsent", new Dictionary<string, string?>
        {
            ["client_id"] = app.ClientId,
            ["redirect_uri"] = SandboxFixture.ConsentRedirectUri,
            ["state"] = "v1-state",
        });

        var page = await browser.AcceptAsync(await browser.SignInAsync(await browser.GetAsync(url), "admin@contoso.example"));

        Assert.Equal("True", page.Result["admin_consent"]);
        Assert.Equal(DemoSeed.ContosoTenantId.ToString(), page.Result["tenant"]);
        Assert.Equal("v1-state", page.Result["state"]);
        Assert.Equal(["Organization.Read.All", "User.Read.All"], sandbox.State.FindGrant(DemoSeed.ContosoTenantId, app.ClientId)!.ApplicationRoles);
    }

    private string AdminConsentUrl(AppRegistration app, string tenant, string redirectUri = SandboxFixture.ConsentRedirectUri) =>
        QueryHelpers.AddQueryString($"{sandbox.Origin}/{tenant}/v2.0/adminconsent", new Dictionary<string, string?>
        {
            ["client_id"] = app.ClientId,
            ["scope"] = "https://graph.microsoft.com/.default",
            ["redirect_uri"] = redirectUri,
            ["state"] = "consent-state",
        });
}
