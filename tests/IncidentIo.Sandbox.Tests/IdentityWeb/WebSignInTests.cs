using Microsoft.Extensions.Hosting;
using System.Net;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Identity.Client;
using Microsoft.Identity.Web;

namespace IncidentIo.Sandbox.Tests.IdentityWeb;

/// <summary>
/// A minimal web app wired the way the portal is (Microsoft.Identity.Web, organizations, https),
/// signing a user in through the Sandbox and calling for a delegated token afterwards.
/// </summary>
[Collection(SharedSandbox.Name)]
public sealed class WebSignInTests(SandboxFixture sandbox)
{
    [Fact]
    public async Task Identity_web_sign_in_round_trip_then_delegated_token_from_cache()
    {
        var app = sandbox.RegisterApp();
        var (web, origin) = await StartWebAppAsync(app);
        await using var running = web;
        sandbox.RegisterApp(_ => app with { RedirectUris = [$"{origin}/signin-oidc"] });
        using var browser = sandbox.Browser();

        var challenge = await browser.GetAsync($"{origin}/whoami");
        Assert.Equal(HttpStatusCode.Redirect, challenge.Status);
        Assert.StartsWith($"{sandbox.Origin}/organizations/oauth2/v2.0/authorize", challenge.Location!.ToString(), StringComparison.Ordinal);
        var page = await browser.FollowAsync(challenge);
        page = await browser.SignInAsync(page, "user@contoso.example");
        if (page.IsConsent)
        {
            page = await browser.AcceptAsync(page);
        }

        var signedIn = await browser.SubmitFormPostAsync(page);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.Status);
        var whoami = await browser.FollowAsync(signedIn);

        Assert.Equal(HttpStatusCode.OK, whoami.Status);
        Assert.Equal($"user@contoso.example|{DemoSeed.ContosoTenantId}|token", whoami.Html);
    }

    private async Task<(WebApplication Web, string Origin)> StartWebAppAsync(AppRegistration app)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Host.UseDefaultServiceProvider(o => (o.ValidateScopes, o.ValidateOnBuild) = (true, true));
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(TestCertificates.Authority.ServerCertificate)));
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureAd:Instance"] = $"{sandbox.Origin}/",
            ["AzureAd:TenantId"] = "organizations",
            ["AzureAd:ClientId"] = app.ClientId,
            ["AzureAd:ClientSecret"] = app.ClientSecrets[0],
            ["AzureAd:CallbackPath"] = "/signin-oidc",
        });

        // The three Microsoft-facing clients the product pins to the Sandbox CA.
        builder.Services.AddSingleton<IMsalHttpClientFactory>(new MsalHttpClientFactory(sandbox.Http));
        builder.Services.AddHttpClient("sandbox").ConfigurePrimaryHttpMessageHandler(() => TestCertificates.Authority.CreateHandler(sandbox.Origin));
        builder.Services.Configure<AadIssuerValidatorOptions>(o => o.HttpClientName = "sandbox");
        builder.Services.AddAuthentication(OpenIdConnectDefaults.AuthenticationScheme)
            .AddMicrosoftIdentityWebApp(builder.Configuration.GetSection("AzureAd"))
            .EnableTokenAcquisitionToCallDownstreamApi(["User.Read"])
            .AddInMemoryTokenCaches();
        builder.Services.Configure<OpenIdConnectOptions>(OpenIdConnectDefaults.AuthenticationScheme,
            o => o.BackchannelHttpHandler = TestCertificates.Authority.CreateHandler(sandbox.Origin));
        builder.Services.AddAuthorization();

        var web = builder.Build();
        web.UseAuthentication();
        web.UseAuthorization();
        web.MapGet("/whoami", async (HttpContext http, ITokenAcquisition tokens) =>
        {
            var token = await tokens.GetAccessTokenForUserAsync(["User.Read"]);
            return $"{http.User.FindFirst("preferred_username")?.Value}|{http.User.GetTenantId()}|{(token.Length > 0 ? "token" : "")}";
        }).RequireAuthorization();
        await web.StartAsync();
        var address = web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (web, $"https://localhost:{new Uri(address).Port}");
    }
}
