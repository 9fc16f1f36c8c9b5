using System.Text.RegularExpressions;
using IncidentIo.Domain.Health;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.Setup;
using IncidentIo.Portal.Hosting;
using IncidentIo.Portal.Setup;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Mvc.Routing;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Web;
using Microsoft.Identity.Web.TokenCacheProviders.Distributed;

namespace IncidentIo.Portal.SignIn;

/// <summary>
/// "Sign in with Microsoft" through Microsoft.Identity.Web, multi-tenant (<c>organizations</c>),
/// against the Sandbox or real Entra ID with the same code: only the <c>AzureAd</c> values differ.
/// </summary>
public static partial class SignInRegistration
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
                builder.Services.AddSingleton<IValidateOptions<EmbeddedSandboxOptions>, EmbeddedSandboxOptionsValidator>();
                builder.Services.AddOptions<EmbeddedSandboxOptions>().Bind(builder.Configuration.GetSection(EmbeddedSandboxOptions.Section)).ValidateOnStart();
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
        builder.Services.AddOptions<OpenIdConnectOptions>(OpenIdConnectDefaults.AuthenticationScheme).PostConfigure<PublicAddress>((oidc, publicAddress) =>
        {
            // Behind a proxy the request's own address is not the one registered with Entra.
            var toMicrosoft = oidc.Events.OnRedirectToIdentityProvider;
            oidc.Events.OnRedirectToIdentityProvider = async context =>
            {
                await toMicrosoft(context);
                context.ProtocolMessage.RedirectUri = publicAddress.For(context.Request, oidc.CallbackPath).ToString();
            };
            var signingOut = oidc.Events.OnRedirectToIdentityProviderForSignOut;
            oidc.Events.OnRedirectToIdentityProviderForSignOut = async context =>
            {
                await signingOut(context);
                context.ProtocolMessage.PostLogoutRedirectUri = publicAddress.For(context.Request, oidc.SignedOutCallbackPath).ToString();
            };
        });
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
        app.MapGet("/signin", (HttpContext http, string? returnUrl) => Results.Challenge(
            new AuthenticationProperties { RedirectUri = LocalReturnUrl(http, returnUrl) }, [OpenIdConnectDefaults.AuthenticationScheme]))
            .RequireRateLimiting(HealthEndpoint.AnonymousPolicy);
        // POST with the antiforgery token only: a link or image on another site must not sign people out.
        app.MapPost("/signout", async (HttpContext http, IAntiforgery antiforgery) =>
            await antiforgery.IsRequestValidAsync(http)
                ? Results.SignOut(new AuthenticationProperties { RedirectUri = "/" },
                    [CookieAuthenticationDefaults.AuthenticationScheme, OpenIdConnectDefaults.AuthenticationScheme])
                : Results.Problem("Sign out from the Portal's own Sign out button.", statusCode: StatusCodes.Status400BadRequest));
        return app;
    }

    /// <summary>
    /// Only paths on this site, by the framework's own local-URL check (which also refuses control
    /// characters browsers strip, as in <c>/%09/evil.example</c>, and backslashes browsers read as
    /// slashes); anything else becomes "/". An absolute return URL would make sign-in an open redirect.
    /// </summary>
    public static string LocalReturnUrl(HttpContext http, string? returnUrl)
    {
        var urls = new UrlHelper(new ActionContext(http, new RouteData(), new ActionDescriptor()));
        return returnUrl is { Length: > 0 } && urls.IsLocalUrl(returnUrl) && !returnUrl.StartsWith('~') && !EncodedSeparatorOrControl().IsMatch(returnUrl)
            ? returnUrl
            : "/";
    }

    /// <summary>Still encoded once more: slashes, backslashes and control characters have no place in our own paths.</summary>
    [GeneratedRegex("%(2f|5c|[01][0-9a-f]|7f)", RegexOptions.IgnoreCase)]
    private static partial Regex EncodedSeparatorOrControl();
}
