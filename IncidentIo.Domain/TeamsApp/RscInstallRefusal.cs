using Microsoft.Graph.Models.ODataErrors;

namespace IncidentIo.Domain.TeamsApp;

/// <summary>
/// Teams refusing to install an app into a team because the app's definition asks for
/// resource-specific consent (RSC) permissions that the caller did not (or could not) consent to.
/// Our package asks for none, so this means the tenant's catalog holds an older package of ours:
/// https://learn.microsoft.com/en-us/graph/api/team-post-installedapps (permission note; example 3
/// shows the answer, 400 <c>BadRequest</c> with inner <c>InvalidRequest</c>).
/// </summary>
public static class RscInstallRefusal
{
    public const string Explanation =
        "Teams refused to add our app: the IncidentIo app in your organisation's Teams app catalog is an older package that asks " +
        "team owners for team-specific (resource-specific consent) permissions, and the permission we install with cannot grant those. " +
        "Our current package asks for none: download it from setup's manual install and upload it in the Teams admin center " +
        "(Teams apps → Manage apps → IncidentIo → Upload file), then try again.";

    /// <summary>
    /// Recognised by the status and inner code Learn shows, and the word "consented" in the message:
    /// 400 <c>InvalidRequest</c> alone also covers malformed bodies, which need other advice.
    /// </summary>
    public static bool Is(ODataError error) =>
        error.ResponseStatusCode == 400
        && string.Equals(error.Error?.InnerError?.AdditionalData.TryGetValue("code", out var code) == true ? code?.ToString() : null, "InvalidRequest", StringComparison.Ordinal)
        && error.Error?.Message?.Contains("consented", StringComparison.OrdinalIgnoreCase) == true;
}
