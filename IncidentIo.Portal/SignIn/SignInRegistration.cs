using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Portal.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Identity.Web;
using Microsoft.Identity.Web.TokenCacheProviders.Distributed;

namespace IncidentIo.Portal.SignIn;

/// <summary>
/// "Sign in with Microsoft" through Microsoft.Identity.Web, multi-tenant (<c>organizations</c>),
/// against the Sandbox or real Entra ID with the same code: only the <c>AzureAd</c> values differ.
/// </summary>
public static class SignInRegistration
{
    /// <summary>Identity only: sign-in asks for nothing a user could not consent to alone.</summary>
    public static readonly string[] SignInScopes = ["User.Read"];

    public static WebApplicationBuilder AddPortalSignIn(this WebApplicationBuilder builder)
    {
        var microsoft = builder.Configuration.GetSection(MicrosoftOptions.Section).Get<MicrosoftOptions>() ?? new MicrosoftOptions();
        if (microsoft.IsSandbox)
        {
            UseSandboxAppRegistrationUnlessConfigured(builder.Configuration, microsoft);
            if (microsoft.HostSandbox)
            {
                builder.Services.AddSingleton<EmbeddedSandbox>();
                builder.Services.AddHostedService(sp => sp.GetRequiredService<EmbeddedSandbox>());
            }
        }

        builder.Services.AddOptions<MicrosoftOptions>().Validate(
            options => !options.IsLive || !string.IsNullOrWhiteSpace(builder.Configuration["AzureAd:ClientId"]),
            "AzureAd:ClientId (our app registration's client id) is required when Microsoft:Mode is 'Live'.");

        builder.Services.AddAuthentication(OpenIdConnectDefaults.AuthenticationScheme)
            .AddMicrosoftIdentityWebApp(builder.Configuration.GetSection("AzureAd"))
            .EnableTokenAcquisitionToCallDownstreamApi(SignInScopes)
            .AddDistributedTokenCaches();
        // Tokens at rest are encrypted with the shared data-protection keys.
        builder.Services.Configure<MsalDistributedTokenCacheAdapterOptions>(o => o.Encrypt = true);

        // Every Microsoft-facing client goes through the one configured HTTP client (see MicrosoftHttp).
        builder.Services.Configure<AadIssuerValidatorOptions>(o => o.HttpClientName = MicrosoftHttp.ClientName);
        builder.Services.AddOptions<OpenIdConnectOptions>(OpenIdConnectDefaults.AuthenticationScheme)
            .Configure<IServiceProvider>((oidc, services) => oidc.BackchannelHttpHandler = MicrosoftHttp.CreateHandler(services));

        builder.Services.AddAuthorization();
        builder.Services.AddCascadingAuthenticationState();
        return builder;
    }

    public static WebApplication MapPortalSignIn(this WebApplication app)
    {
        app.MapGet("/signin", (string? returnUrl) => Results.Challenge(
            new AuthenticationProperties { RedirectUri = LocalOnly(returnUrl) }, [OpenIdConnectDefaults.AuthenticationScheme]));
        app.MapGet("/signout", () => Results.SignOut(
            new AuthenticationProperties { RedirectUri = "/" },
            [CookieAuthenticationDefaults.AuthenticationScheme, OpenIdConnectDefaults.AuthenticationScheme]));
        return app;
    }

    /// <summary>Only paths on this site: an absolute return URL would make sign-in an open redirect.</summary>
    private static string LocalOnly(string? returnUrl) =>
        returnUrl is { Length: > 0 } && returnUrl[0] == '/' && !returnUrl.StartsWith("//", StringComparison.Ordinal) && !returnUrl.StartsWith("/\\", StringComparison.Ordinal)
            ? returnUrl
            : "/";

    /// <summary>
    /// Sandbox mode: our app registration in the Sandbox, as defaults that configuration overrides
    /// (the ids are the Sandbox's own, they mean nothing to real Entra ID).
    /// </summary>
    private static void UseSandboxAppRegistrationUnlessConfigured(ConfigurationManager configuration, MicrosoftOptions microsoft)
    {
        configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                ["AzureAd:Instance"] = microsoft.SandboxOrigin.TrimEnd('/') + "/",
                ["AzureAd:TenantId"] = "organizations",
                ["AzureAd:ClientId"] = SandboxApps.MainAppClientId,
                ["AzureAd:ClientSecret"] = SandboxApps.MainAppSecret,
                ["AzureAd:CallbackPath"] = "/signin-oidc",
                ["AzureAd:SignedOutCallbackPath"] = "/signout-callback-oidc",
                // Teams only lets an app install "itself" for users (…ConsentSelfForUser) when the
                // manifest's webApplicationInfo.id is that app: our main app registration.
                ["TeamsApp:TabSsoAppId"] = SandboxApps.MainAppClientId,
            },
        });
    }
}

/// <summary>Our app registrations as the Sandbox knows them.</summary>
public static class SandboxApps
{
    public const string MainAppClientId = "5a1d7c3e-9b2f-4e61-8c4d-0f3e2a1b9c01";
    public const string MainAppSecret = "sandbox-main-app-secret";
}
