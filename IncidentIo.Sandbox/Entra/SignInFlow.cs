using IncidentIo.Sandbox.Hosting;
using IncidentIo.Sandbox.State;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace IncidentIo.Sandbox.Entra;

/// <summary>
/// Moves an interactive request on from wherever it is: sign-in page, consent page, or the final
/// redirect with a code (authorize) or with the admin-consent result.
/// </summary>
public sealed class SignInFlow(SandboxRuntime runtime)
{
    public const string SessionCookie = "sandbox.session";

    private static readonly TimeSpan CodeLifetime = TimeSpan.FromMinutes(10);

    /// <summary>The browser's session; one started during this request wins over the request's cookie.</summary>
    public BrowserSession? Session(HttpContext http) =>
        http.Items[SessionCookie] as BrowserSession ?? runtime.Store.Session(http.Request.Cookies[SessionCookie]);

    public User? ActiveUser(HttpContext http) =>
        Session(http)?.ActiveUserId is { } id ? runtime.State.FindUser(id) : null;

    public IResult Continue(HttpContext http, PendingRequest request)
    {
        var app = runtime.State.FindApp(request.ClientId)!;
        var user = ActiveUser(http);
        var mustSignIn = user is null
            || (!request.SignedInHere && request.Prompt is "login" or "select_account")
            || (!request.SignedInHere && request.LoginHint is not null && !request.LoginHint.Equals(user.UserPrincipalName, StringComparison.OrdinalIgnoreCase))
            || (!request.SignedInHere && request.Kind != RequestKind.Authorize);
        if (mustSignIn)
        {
            if (request.Prompt == "none")
            {
                return Fail(http, request, "login_required", 50058, Aadsts.LoginRequired);
            }

            return SignInPage(http, request, error: null);
        }

        return request.Kind == RequestKind.Authorize ? ContinueAuthorize(http, request, app, user!) : ContinueAdminConsent(http, request, app, user!);
    }

    public IResult SignInPage(HttpContext http, PendingRequest request, string? error)
    {
        var app = runtime.State.FindApp(request.ClientId)!;
        var accounts = (Session(http)?.Accounts ?? []).Select(runtime.State.FindUser).OfType<User>().ToList();
        return Pages.SignIn(request, app.DisplayName, accounts, error);
    }

    /// <summary>Signs the user in on this browser: adds an account tile and makes it active.</summary>
    public void SignIn(HttpContext http, User user)
    {
        var session = Session(http) ?? new BrowserSession(EntraStore.NewHandle(), [], null);
        session = session with { Accounts = [user.Id, .. session.Accounts.Where(a => a != user.Id)], ActiveUserId = user.Id };
        runtime.Store.Save(session);
        http.Items[SessionCookie] = session;
        http.Response.Cookies.Append(SessionCookie, session.Id, new CookieOptions
        {
            Secure = true,
            HttpOnly = true,
            SameSite = SameSiteMode.Lax,
            Path = "/",
        });
    }

    /// <summary>Sends the request's error to its redirect URI (admin consent adds admin_consent=True).</summary>
    public IResult Fail(HttpContext http, PendingRequest request, string error, int code, string message)
    {
        runtime.Store.Finish(request);
        var details = EntraError.For(http, runtime.Time, code, message);
        var fields = Redirects.ErrorFields(error, details, runtime.Origin);
        if (request.Kind != RequestKind.Authorize)
        {
            fields.Add(new("admin_consent", "True"));
        }

        fields.Add(new("state", request.State));
        return Redirects.Deliver(request.RedirectUri, request.Kind == RequestKind.Authorize ? request.ResponseMode : "query", fields);
    }

    /// <summary>Scopes this sign-in asks the user to consent to (Graph short names).</summary>
    public static IReadOnlyList<string> DelegatedScopesRequested(PendingRequest request, AppRegistration app)
    {
        var scopes = Scopes.Parse(request.Scope);
        return scopes.IsDefault ? app.DelegatedScopes : [.. scopes.ResourceScopes];
    }

    private IResult ContinueAuthorize(HttpContext http, PendingRequest request, AppRegistration app, User user)
    {
        var tenant = SpecificTenant(request.TenantSegment);
        if (tenant is not null && tenant.Id != user.TenantId)
        {
            return SignInPage(http, request, $"AADSTS50020: {Aadsts.UserNotInTenant(user.UserPrincipalName, tenant.DisplayName)}");
        }

        var grant = runtime.State.FindGrant(user.TenantId, app.ClientId);
        var wanted = DelegatedScopesRequested(request, app);
        var consented = grant is not null && grant.HasAnyDelegatedGrantFor(user.Id)
            && wanted.All(s => grant.DelegatedScopesFor(user.Id).Contains(s));
        if (!request.ConsentedHere && (!consented || request.Prompt == "consent"))
        {
            if (request.Prompt == "none")
            {
                return Fail(http, request, "consent_required", 65001, Aadsts.ConsentRequired(app.ClientId));
            }

            var missing = wanted.Where(s => grant?.DelegatedScopesFor(user.Id).Contains(s) != true);
            if (!user.IsGlobalAdmin && missing.Any(AdminOnlyScopes.Contains))
            {
                return NeedAdminApproval(http, request, app, user);
            }

            var listed = wanted.Concat(Scopes.Parse(request.Scope).Oidc).Distinct(StringComparer.OrdinalIgnoreCase);
            return Pages.Consent(request, app.DisplayName, user, listed, forOrganization: false, offerOrganization: user.IsGlobalAdmin);
        }

        runtime.Store.Finish(request);
        var code = new AuthorizationCode(
            EntraStore.NewHandle(), app.ClientId, request.RedirectUri, user.TenantId, user.Id, request.Scope, request.Nonce,
            request.CodeChallenge, request.CodeChallengeMethod, runtime.Now + CodeLifetime);
        runtime.Store.Save(code);
        return Redirects.Deliver(request.RedirectUri, request.ResponseMode,
        [
            new("code", code.Code),
            new("state", request.State),
            new("session_state", Session(http)?.Id[..16]),
        ]);
    }

    private IResult ContinueAdminConsent(HttpContext http, PendingRequest request, AppRegistration app, User user)
    {
        var tenant = SpecificTenant(request.TenantSegment);
        if (tenant is not null && tenant.Id != user.TenantId)
        {
            return Fail(http, request, "access_denied", 50020, Aadsts.UserNotInTenant(user.UserPrincipalName, tenant.DisplayName));
        }

        if (!user.IsGlobalAdmin)
        {
            return NeedAdminApproval(http, request, app, user);
        }

        return Pages.Consent(request, app.DisplayName, user, AdminConsentPermissions(request, app), forOrganization: true, offerOrganization: false);
    }

    /// <summary>
    /// The "Need admin approval" page. Its link back to the app carries <c>access_denied</c> with
    /// AADSTS90094 (and <c>admin_consent=True</c> on the admin consent endpoint), never a tenant.
    /// </summary>
    private IResult NeedAdminApproval(HttpContext http, PendingRequest request, AppRegistration app, User user)
    {
        var details = EntraError.For(http, runtime.Time, 90094, Aadsts.AdminRequired);
        runtime.Store.Finish(request);
        var fields = Redirects.ErrorFields("access_denied", details, runtime.Origin);
        if (request.Kind != RequestKind.Authorize)
        {
            fields.Add(new("admin_consent", "True"));
        }

        fields.Add(new("state", request.State));
        return Pages.NeedAdminApproval(app.DisplayName, user, details, QueryHelpers.AddQueryString(request.RedirectUri, fields));
    }

    /// <summary>What admin consent grants: application roles, and delegated scopes tenant-wide.</summary>
    public static (IReadOnlyList<string> Roles, IReadOnlyList<string> Delegated) AdminConsentGrant(PendingRequest request, AppRegistration app)
    {
        var scopes = Scopes.Parse(request.Scope);
        if (request.Kind == RequestKind.AdminConsentV1 || scopes.IsDefault || scopes.ResourceScopes.Count == 0)
        {
            return (app.ApplicationPermissions, app.DelegatedScopes);
        }

        var asked = scopes.ResourceScopes;
        return ([.. asked.Where(s => app.ApplicationPermissions.Contains(s, StringComparer.OrdinalIgnoreCase))],
            [.. asked.Where(s => !app.ApplicationPermissions.Contains(s, StringComparer.OrdinalIgnoreCase))]);
    }

    private static IEnumerable<string> AdminConsentPermissions(PendingRequest request, AppRegistration app)
    {
        var (roles, delegated) = AdminConsentGrant(request, app);
        return roles.Select(r => $"{r} (application)").Concat(delegated.Select(d => $"{d} (delegated)"));
    }

    private Tenant? SpecificTenant(string segment) =>
        segment is "common" or "organizations" ? null : runtime.State.FindTenant(segment);
}
