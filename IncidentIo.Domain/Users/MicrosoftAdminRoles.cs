using System.Security.Claims;

namespace IncidentIo.Domain.Users;

/// <summary>
/// The Microsoft Entra roles that prove someone may run the organisation's setup: they can grant
/// tenant-wide admin consent to our app. Read from the ID token's <c>wids</c> claim, which carries the
/// role template ids of the person's directory roles when the app registration asks for it
/// (<c>groupMembershipClaims</c> "DirectoryRole" or "All").
/// Template ids: https://learn.microsoft.com/en-us/entra/identity/role-based-access-control/permissions-reference
/// The claim: https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference (wids) and
/// https://learn.microsoft.com/en-us/entra/identity-platform/reference-app-manifest#groupmembershipclaims-attribute
/// </summary>
public static class MicrosoftAdminRoles
{
    public const string GlobalAdministrator = "62e90394-69f5-4237-9190-012177145e10";

    public const string PrivilegedRoleAdministrator = "e8611ab8-c189-46e8-94e1-60213ab1f814";

    public const string ClaimType = "wids";

    private static readonly HashSet<string> Proving = new(StringComparer.OrdinalIgnoreCase) { GlobalAdministrator, PrivilegedRoleAdministrator };

    /// <summary>Whether the sign-in's <c>wids</c> names Global Administrator or Privileged Role Administrator.</summary>
    public static bool ShownBy(ClaimsPrincipal principal) =>
        principal.FindAll(ClaimType).Any(claim => Proving.Contains(claim.Value.Trim()));
}
