using IncidentIo.Domain.Setup;
using IncidentIo.Domain.Users;

namespace IncidentIo.Portal.Setup;

/// <summary>The round trip to Microsoft's admin consent page for our global permissions (admin consent #1).</summary>
public static class ConsentEndpoints
{
    public const string GlobalCallbackPath = "/setup/consent/global";

    public static IEndpointRouteBuilder MapConsentEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/setup/consent/global/start", StartAsync).RequireAuthorization();
        app.MapGet(GlobalCallbackPath, CompleteAsync).RequireAuthorization();
        return app;
    }

    private static async Task<IResult> StartAsync(HttpContext http, OrganizationOnboarding onboarding, AdminConsentFlow consent)
    {
        var member = await onboarding.EnsureMemberAsync(http.User, http.RequestAborted);
        if (member.User.Role < UserRole.Admin)
        {
            return Results.Redirect("/setup?consent=not-allowed");
        }

        var callback = new Uri($"{http.Request.Scheme}://{http.Request.Host}{GlobalCallbackPath}");
        return Results.Redirect((await consent.StartAsync(member, callback, http.RequestAborted)).ToString());
    }

    private static async Task<IResult> CompleteAsync(HttpContext http, AdminConsentFlow consent)
    {
        var query = http.Request.Query.ToDictionary(q => q.Key, q => (string?)q.Value.ToString());
        var answer = await consent.CompleteAsync(SignedInAccount.From(http.User), query, http.RequestAborted);
        var outcome = answer switch
        {
            { IsGranted: true } => "granted",
            { RejectedBecause: { } rejection } => $"rejected-{rejection.ToString().ToLowerInvariant()}",
            _ => "failed",
        };
        return Results.Redirect($"/setup?consent={outcome}");
    }
}
