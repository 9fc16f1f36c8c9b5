using IncidentIo.Sandbox.Hosting;
using IncidentIo.Sandbox.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;

namespace IncidentIo.Sandbox.Entra;

/// <summary>
/// The interactive endpoints: authorize, admin consent (v2 and v1), the sign-in and consent form
/// posts, and logout. Problems with the client id or redirect URI are shown as a page and never
/// redirected, because Entra cannot trust the redirect URI then.
/// </summary>
public static class AuthorizeEndpoints
{
    public static void MapAuthorize(this IEndpointRouteBuilder app)
    {
        app.MapGet("/{tenant}/oauth2/v2.0/authorize", Authorize);
        app.MapGet("/{tenant}/v2.0/adminconsent", (HttpContext http, string tenant, SandboxRuntime runtime, SignInFlow flow) =>
            AdminConsent(http, tenant, runtime, flow, RequestKind.AdminConsent));
        app.MapGet("/{tenant}/adminconsent", (HttpContext http, string tenant, SandboxRuntime runtime, SignInFlow flow) =>
            AdminConsent(http, tenant, runtime, flow, RequestKind.AdminConsentV1));
        app.MapPost(Pages.LoginPath, Login).DisableAntiforgery();
        app.MapPost(Pages.ConsentPath, Consent).DisableAntiforgery();
        app.MapGet("/{tenant}/oauth2/v2.0/logout", Logout);
    }

    private static IResult Authorize(HttpContext http, string tenant, SandboxRuntime runtime, SignInFlow flow)
    {
        var query = http.Request.Query;
        if (Validate(http, tenant, runtime, query["client_id"], query["redirect_uri"], out var app, out var redirectUri) is { } problem)
        {
            return problem;
        }

        var request = new PendingRequest
        {
            Id = EntraStore.NewHandle(),
            Kind = RequestKind.Authorize,
            TenantSegment = tenant,
            ClientId = app!.ClientId,
            RedirectUri = redirectUri!,
            ResponseMode = string.IsNullOrEmpty(query["response_mode"]) ? "query" : query["response_mode"].ToString(),
            State = query["state"],
            Nonce = query["nonce"],
            Scope = query["scope"],
            CodeChallenge = query["code_challenge"],
            CodeChallengeMethod = string.IsNullOrEmpty(query["code_challenge"]) ? null : (string?)query["code_challenge_method"] ?? "plain",
            Prompt = query["prompt"],
            LoginHint = query["login_hint"],
        };

        if (request.ResponseMode is not ("query" or "form_post" or "fragment"))
        {
            return flow.Fail(http, request with { ResponseMode = "query" }, "invalid_request", 900101, $"Invalid response_mode '{request.ResponseMode}'.");
        }

        if (query["response_type"] != "code")
        {
            return flow.Fail(http, request, "unsupported_response_type", 700054,
                $"The provided value for the input parameter 'response_type' is not allowed for this request. Expected value: code. Value provided: '{query["response_type"]}'.");
        }

        if (request.CodeChallengeMethod is not (null or "S256" or "plain"))
        {
            return flow.Fail(http, request, "invalid_request", 501491, "Invalid size of Code_Challenge parameter or unsupported code_challenge_method.");
        }

        if (request.Prompt is not (null or "" or "login" or "none" or "consent" or "select_account"))
        {
            return flow.Fail(http, request, "invalid_request", 90023, $"Invalid prompt value '{request.Prompt}'.");
        }

        runtime.Store.Save(request);
        return flow.Continue(http, request);
    }

    private static IResult AdminConsent(HttpContext http, string tenant, SandboxRuntime runtime, SignInFlow flow, RequestKind kind)
    {
        var query = http.Request.Query;
        if (Validate(http, tenant, runtime, query["client_id"], query["redirect_uri"], out var app, out var redirectUri) is { } problem)
        {
            return problem;
        }

        if (kind == RequestKind.AdminConsent && string.IsNullOrWhiteSpace(query["scope"]))
        {
            return Pages.Error(EntraError.For(http, runtime.Time, 900144, Aadsts.MissingParameter("scope")));
        }

        var request = new PendingRequest
        {
            Id = EntraStore.NewHandle(),
            Kind = kind,
            TenantSegment = tenant,
            ClientId = app!.ClientId,
            RedirectUri = redirectUri!,
            State = query["state"],
            Scope = query["scope"],
        };
        runtime.Store.Save(request);
        return flow.Continue(http, request);
    }

    /// <summary>Checks tenant, client id and redirect URI; a problem here is a page, not a redirect.</summary>
    private static IResult? Validate(
        HttpContext http, string tenant, SandboxRuntime runtime, string? clientId, string? redirectUri,
        out AppRegistration? app, out string? resolvedRedirect)
    {
        app = null;
        resolvedRedirect = null;
        var time = runtime.Time;
        if (tenant is not ("common" or "organizations") && runtime.State.FindTenant(tenant) is null)
        {
            return Pages.Error(EntraError.For(http, time, 90002, Aadsts.TenantNotFound(tenant)));
        }

        if (string.IsNullOrEmpty(clientId))
        {
            return Pages.Error(EntraError.For(http, time, 900144, Aadsts.MissingParameter("client_id")));
        }

        app = runtime.State.FindApp(clientId);
        if (app is null)
        {
            var directory = runtime.State.FindTenant(tenant)?.DisplayName ?? tenant;
            return Pages.Error(EntraError.For(http, time, 700016, Aadsts.AppNotFound(clientId, directory)));
        }

        // Entra picks a registered URI when none is sent; anything sent must match one exactly.
        resolvedRedirect = string.IsNullOrEmpty(redirectUri) ? (app.RedirectUris.Count > 0 ? app.RedirectUris[0] : null) : redirectUri;
        if (resolvedRedirect is null || !app.RedirectUris.Contains(resolvedRedirect, StringComparer.Ordinal))
        {
            return Pages.Error(EntraError.For(http, time, 50011, Aadsts.RedirectMismatch(redirectUri, app.ClientId)));
        }

        return null;
    }

    private static async Task<IResult> Login(HttpContext http, SandboxRuntime runtime, SignInFlow flow)
    {
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var request = runtime.Store.Pending(form["ctx"]);
        if (request is null)
        {
            return Pages.Error(EntraError.For(http, runtime.Time, 50058, "Session information is not sufficient for single-sign-on. Start the sign-in again from the application."));
        }

        var email = form["Email"].ToString().Trim();
        if (email.Length == 0)
        {
            return flow.SignInPage(http, request, "Enter a valid email address, phone number, or Skype name.");
        }

        var user = runtime.State.FindUserByUpn(email);
        if (user is null)
        {
            return flow.SignInPage(http, request with { LoginHint = email },
                $"AADSTS50034: {Aadsts.UnknownUser} This username may be incorrect. Make sure you typed it correctly.");
        }

        flow.SignIn(http, user);
        request = request with { SignedInHere = true, LoginHint = null };
        runtime.Store.Save(request);
        return flow.Continue(http, request);
    }

    private static async Task<IResult> Consent(HttpContext http, SandboxRuntime runtime, SignInFlow flow)
    {
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var request = runtime.Store.Pending(form["ctx"]);
        var user = flow.ActiveUser(http);
        if (request is null || user is null)
        {
            return Pages.Error(EntraError.For(http, runtime.Time, 50058, "Session information is not sufficient for single-sign-on. Start the sign-in again from the application."));
        }

        var app = runtime.State.FindApp(request.ClientId)!;
        if (form["action"] != "accept")
        {
            return request.Kind == RequestKind.AdminConsentV1
                ? V1Cancelled(runtime, request)
                : flow.Fail(http, request, "access_denied", 65004, Aadsts.UserDeclined);
        }

        if (request.Kind == RequestKind.Authorize)
        {
            var scopes = SignInFlow.DelegatedScopesRequested(request, app);
            if (form["consent_org"] == "on" && user.IsGlobalAdmin)
            {
                runtime.State.GrantAdminConsent(user.TenantId, app.ClientId, [], scopes);
            }
            else
            {
                runtime.State.GrantUserConsent(user.TenantId, app.ClientId, user.Id, scopes);
            }

            request = request with { ConsentedHere = true };
            runtime.Store.Save(request);
            return flow.Continue(http, request);
        }

        var (roles, delegated) = SignInFlow.AdminConsentGrant(request, app);
        runtime.State.GrantAdminConsent(user.TenantId, app.ClientId, roles, delegated);
        runtime.Store.Finish(request);
        List<KeyValuePair<string, string?>> fields = request.Kind == RequestKind.AdminConsent
            ?
            [
                new("admin_consent", "True"),
                new("tenant", user.TenantId.ToString()),
                new("scope", string.Join(' ', roles.Concat(delegated).Select(s => $"{Scopes.Graph}/{s}"))),
                new("state", request.State),
            ]
            : [new("tenant", user.TenantId.ToString()), new("state", request.State), new("admin_consent", "True")];
        return Redirects.Deliver(request.RedirectUri, "query", fields);
    }

    /// <summary>The v1 endpoint's documented cancel shape.</summary>
    private static IResult V1Cancelled(SandboxRuntime runtime, PendingRequest request)
    {
        runtime.Store.Finish(request);
        return Redirects.Deliver(request.RedirectUri, "query",
        [
            new("error", "permission_denied"),
            new("error_description", "The admin canceled the request"),
            new("state", request.State),
        ]);
    }

    private static IResult Logout(HttpContext http, SandboxRuntime runtime, SignInFlow flow)
    {
        if (flow.Session(http) is { } session)
        {
            runtime.Store.EndSession(session.Id);
        }

        http.Response.Cookies.Delete(SignInFlow.SessionCookie, new CookieOptions { Secure = true, Path = "/" });
        var target = http.Request.Query["post_logout_redirect_uri"].ToString();
        if (Uri.TryCreate(target, UriKind.Absolute, out _))
        {
            var state = http.Request.Query["state"].ToString();
            return Results.Redirect(state.Length > 0 ? QueryHelpers.AddQueryString(target, "state", state) : target);
        }

        return Pages.SignedOut();
    }
}
