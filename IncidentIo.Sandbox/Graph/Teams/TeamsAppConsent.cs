using System.Text.Json.Nodes;
using IncidentIo.Sandbox.State;
using Microsoft.AspNetCore.Http;

namespace IncidentIo.Sandbox.Graph.Teams;

/// <summary>
/// Resource-specific consent (RSC) on install, in a team or for a user. Sources:
/// https://learn.microsoft.com/en-us/graph/api/team-post-installedapps (permission note: the
/// <c>ReadWriteSelfForTeam</c> / <c>ReadWriteForTeam</c> permissions cannot install apps that require
/// consent to RSC permissions; body: <c>consentedPermissionSet</c> must be the same as the RSC
/// permissions of the app's definition, and may be left out when those are only delegated; example 3:
/// an install without consent gets 400 <c>BadRequest</c>, inner <c>InvalidRequest</c>,
/// "The required permissions have not been consented to by the caller.") and
/// https://learn.microsoft.com/en-us/graph/api/userteamwork-post-installedapps (the same body rule
/// for personal installs). Consenting is what the <c>…AndConsent…</c> permissions add ("manage its
/// permission grants", Graph permissions reference); the user page has no footnote of its own, so
/// the team page's rule is applied to personal installs by analogy.
/// Not documented, so ours: which answer a caller without an <c>…AndConsent…</c> permission gets (we
/// give example 3's, since nothing was consented), and the message for a permission set that does
/// not match the definition (same status and codes, our own wording).
/// </summary>
public static class TeamsAppConsent
{
    public const string NotConsented = "The required permissions have not been consented to by the caller.";

    public const string Mismatch = "The consented permissions do not match the resource-specific permissions of the app definition.";

    /// <summary>Null when the install may go ahead; otherwise the refusal to answer with.</summary>
    public static IResult? Check(HttpContext http, CatalogApp app, JsonObject body, InstallationScope scope)
    {
        var required = app.ResourceSpecificPermissions;
        if (!TryReadConsented(body, out var consented))
        {
            return GraphErrors.BadRequest(http, "BadRequest", "consentedPermissionSet.resourceSpecificPermissions must be a list of {permissionValue, permissionType}.");
        }

        if (required.Count > 0 && !MayConsent(GraphCaller.Of(http), app, scope))
        {
            return Refused(http, NotConsented);
        }

        if (consented is null)
        {
            // Left out: allowed when the definition asks for no application permission.
            return required.Any(p => p.IsApplication) ? Refused(http, NotConsented) : null;
        }

        return Key(consented).SetEquals(Key(required)) ? null : Refused(http, Mismatch);
    }

    /// <summary>Whether the caller holds an "…AndConsent…" install permission for this scope that reaches this app.</summary>
    private static bool MayConsent(GraphCaller caller, CatalogApp app, InstallationScope scope)
    {
        var target = scope == InstallationScope.Team ? "Team" : "User";
        var suffix = caller.IsAppOnly ? ".All" : "";
        var granted = caller.IsAppOnly ? caller.Roles : caller.Scopes;
        return granted.Contains($"TeamsAppInstallation.ReadWriteAndConsentFor{target}{suffix}")
            || (granted.Contains($"TeamsAppInstallation.ReadWriteAndConsentSelfFor{target}{suffix}")
                && (app.AzureAdAppId is null || app.AzureAdAppId.Equals(caller.ClientId, StringComparison.OrdinalIgnoreCase)));
    }

    private static bool TryReadConsented(JsonObject body, out IReadOnlyList<RscEntry>? consented)
    {
        consented = null;
        if (body["consentedPermissionSet"] is null)
        {
            return true;
        }

        if (body["consentedPermissionSet"] is not JsonObject set || set["resourceSpecificPermissions"] is not JsonArray list)
        {
            return false;
        }

        var read = new List<RscEntry>();
        foreach (var item in list)
        {
            if (item is not JsonObject entry || TeamsQuery.Text(entry, "permissionValue") is not { Length: > 0 } name
                || TeamsQuery.Text(entry, "permissionType") is not { } type
                || !(type.Equals("application", StringComparison.OrdinalIgnoreCase) || type.Equals("delegated", StringComparison.OrdinalIgnoreCase)))
            {
                return false;
            }

            read.Add(new RscEntry(name, type));
        }

        consented = read;
        return true;
    }

    private static HashSet<string> Key(IEnumerable<RscEntry> permissions) =>
        [.. permissions.Select(p => $"{(p.IsApplication ? "application" : "delegated")}:{p.Name.ToUpperInvariant()}")];

    private static IResult Refused(HttpContext http, string message)
    {
        var envelope = GraphErrors.Envelope(http, "BadRequest", message);
        var inner = (JsonObject)envelope["error"]!["innerError"]!;
        inner.Insert(0, "code", "InvalidRequest");
        inner.Insert(1, "message", message);
        inner.Insert(2, "details", new JsonArray());
        return Results.Json(envelope, statusCode: StatusCodes.Status400BadRequest);
    }
}
