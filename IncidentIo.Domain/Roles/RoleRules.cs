using IncidentIo.Domain.Users;

namespace IncidentIo.Domain.Roles;

/// <summary>
/// Who may give whom which role: the rules alone, without the database, so each can be tested on its
/// own. <see cref="OrganizationRoles"/> applies them to people read from the database in one transaction.
/// </summary>
public static class RoleRules
{
    /// <summary>The role someone holds: a deactivated person's kept role, else their role.</summary>
    public static UserRole Held(User user) => user.IsActive ? user.Role : user.RoleBeforeDeactivation ?? user.Role;

    /// <returns>Why <paramref name="actor"/> may not give <paramref name="target"/> the role <paramref name="wanted"/>; null when they may.</returns>
    /// <param name="activeOwners">Active Owners of the organisation now.</param>
    public static string? RefusalToChange(User? actor, User? target, UserRole wanted, int activeOwners)
    {
        if (actor is not { IsActive: true, Role: >= UserRole.Admin })
        {
            return "Only an active Admin or Owner of this organisation can change roles.";
        }

        if (target is null || target.OrganizationId != actor.OrganizationId)
        {
            return "Nobody with this id in your organisation.";
        }

        if (!Enum.IsDefined(wanted))
        {
            return "Choose Owner, Admin, Responder or Viewer.";
        }

        var held = Held(target);
        var name = NameOf(target);
        if (held == wanted)
        {
            return $"{name} is already {Article(wanted)} {wanted}.";
        }

        if (actor.Role < UserRole.Owner && held == UserRole.Owner)
        {
            return "Only an Owner can change an Owner's role.";
        }

        if (actor.Role < UserRole.Owner && wanted == UserRole.Owner)
        {
            return "Only an Owner can make someone Owner.";
        }

        if (wanted == UserRole.Owner && !target.IsActive)
        {
            return $"{name} is deactivated: only an active person can become Owner.";
        }

        if (held == UserRole.Owner && target.IsActive && activeOwners <= 1)
        {
            return $"{name} is the last active Owner: make someone else Owner first, or transfer ownership.";
        }

        return null;
    }

    /// <returns>Why <paramref name="actor"/> may not hand ownership to <paramref name="target"/>; null when they may.</returns>
    public static string? RefusalToTransfer(User? actor, User? target)
    {
        if (actor is not { IsActive: true, Role: UserRole.Owner })
        {
            return "Only an active Owner can transfer ownership.";
        }

        if (target is null || target.OrganizationId != actor.OrganizationId)
        {
            return "Nobody with this id in your organisation.";
        }

        if (target.Id == actor.Id)
        {
            return "You already own this organisation.";
        }

        return target.IsActive ? null : $"{NameOf(target)} is deactivated: only an active person can become Owner.";
    }

    public static string NameOf(User user) => user.UserPrincipalName ?? user.DisplayName;

    private static string Article(UserRole role) => role is UserRole.Owner or UserRole.Admin ? "an" : "a";
}
