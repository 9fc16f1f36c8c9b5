using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.Setup;
using IncidentIo.Portal.Hosting;
using IncidentIo.Portal.Setup;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
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
        // One token acquisition for the process, not one per request: its callers are singletons
        // (Blazor circuits and jobs outlive any request and pass the signed-in principal themselves),
        // and its state (MSAL's apps and the shared token cache) is process-wide anyway.
        builder.Services.AddTokenAcquisition(isTokenAcquisitionSingleton: true);
        builder.Services.AddSetupFlows();
        // Tokens at rest are encrypted with the shared data-protection keys.
        builder.Services.Configure<MsalDistributedTokenCacheAdapterOptions>(o => o.Encrypt = true);

        // Every Microsoft-facing client goes through the one configured HTTP client (see MicrosoftHttp).
        builder.Services.Configure<AadIssuerValidatorOptions>(o => o.HttpClientName = MicrosoftHttp.ClientName);
        builder.Services.AddOptions<OpenIdConnectOptions>(OpenIdConnectDefaults.AuthenticationScheme)
            .Configure<IServiceProvider>((oidc, services) => oidc.BackchannelHttpHandler = MicrosoftHttp.CreateHandler(services));

        // A sign-in Microsoft refused goes to the troubleshooting page with Microsoft's code and ids,
        // rather than to a bare error page. Wraps whatever Identity.Web set up.
        builder.Services.PostConfigure<OpenIdConnectOptions>(OpenIdConnectDefaults.AuthenticationScheme, oidc =>
        {
            var previous = oidc.Events.OnRemoteFailure;
            oidc.Events.OnRemoteFailure = async context =>
            {
                if (context.Failure is { } failure && EntraError.FromProtocolMessage(failure.Message) is { } error)
                {
                    context.Response.Redirect(TroubleshootingPage.LinkFor(error.Code, error.CorrelationId, error.TraceId, error.Timestamp));
                    context.HandleResponse();
                    return;
                }

                await previous(context);
            };
        });

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
}
