using IncidentIo.Domain.Setup;
using IncidentIo.Domain.Users;
using IncidentIo.Portal.Hosting;
using Microsoft.Extensions.Options;

namespace IncidentIo.Portal.Setup;

/// <summary>
/// The round trips to Microsoft's admin consent page: #1 for our global permissions, #2 for the
/// temporary setup app. Each has its own callback address, registered on its own app.
/// </summary>
public static class ConsentEndpoints
{
    public const string GlobalCallbackPath = "/setup/consent/global";
    public const string SetupAppCallbackPath = "/setup/consent/setup-app";

    public static IEndpointRouteBuilder MapConsentEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet($"{GlobalCallbackPath}/start", (HttpContext http, OrganizationOnboarding onboarding, AdminConsentFlow consent, IOptions<SupportOptions> support) =>
            StartAsync(http, onboarding, consent, support.Value, ConsentKind.GlobalPermissions, GlobalCallbackPath)).RequireAuthorization();
        app.MapGet(GlobalCallbackPath, (HttpContext http, AdminConsentFlow consent) =>
            CompleteAsync(http, consent, ConsentKind.GlobalPermissions)).RequireAuthorization();
        app.MapGet($"{SetupAppCallbackPath}/start", (HttpContext http, OrganizationOnboarding onboarding, AdminConsentFlow consent, IOptions<SupportOptions> support) =>
            StartAsync(http, onboarding, consent, support.Value, ConsentKind.SetupPermissions, SetupAppCallbackPath)).RequireAuthorization();
        app.MapGet(SetupAppCallbackPath, (HttpContext http, AdminConsentFlow consent) =>
            CompleteAsync(http, consent, ConsentKind.SetupPermissions)).RequireAuthorization();
        return app;
    }

    private static async Task<IResult> StartAsync(
        HttpContext http, OrganizationOnboarding onboarding, AdminConsentFlow consent, SupportOptions support, ConsentKind kind, string callbackPath)
    {
        if (support.FromStaffTenant(http.User))
        {
            // Our own tenant is no customer: no organisation, no consent for it.
            return Results.Redirect("/setup");
        }

        var member = await onboarding.EnsureMemberAsync(http.User, http.RequestAborted);
        if (kind == ConsentKind.SetupPermissions ? member.User.Role < UserRole.Admin || !member.User.IsActive : !member.MayRunSetup)
        {
            return Results.Redirect("/setup?consent=not-allowed");
        }

        if (member.Organization.PlanCode is null)
        {
            // What an organisation may do in Teams depends on its plan: no Microsoft permission before one is chosen.
            return Results.Redirect("/setup?consent=plan-first");
        }

        if (kind == ConsentKind.SetupPermissions && member.Organization.GlobalPermissionsGrantedAt is null)
        {
            return Results.Redirect("/setup?consent=global-first");
        }

        var callback = http.RequestServices.GetRequiredService<PublicAddress>().For(http.Request, callbackPath);
        return Results.Redirect((await consent.StartAsync(member, kind, callback, http.RequestAborted)).ToString());
    }

    private static async Task<IResult> CompleteAsync(HttpContext http, AdminConsentFlow consent, ConsentKind kind)
    {
        var query = http.Request.Query.ToDictionary(q => q.Key, q => (string?)q.Value.ToString());
        var answer = await consent.CompleteAsync(SignedInAccount.From(http.User), kind, query, http.RequestAborted);
        var outcome = answer switch
        {
            { IsGranted: true } => kind == ConsentKind.SetupPermissions ? "setup-granted" : "granted",
            { RejectedBecause: { } rejection } => $"rejected-{rejection.ToString().ToLowerInvariant()}",
            _ => "failed",
        };
        return Results.Redirect($"/setup?consent={outcome}");
    }
}
