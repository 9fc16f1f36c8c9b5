using IncidentIo.Domain.Audit;
using IncidentIo.Domain.Reachability;
using IncidentIo.Domain.Users;

namespace IncidentIo.Domain.ActiveUsers;

/// <summary>
/// One person deactivated or restored, with the audit entry that says why: the same words whether
/// the sweep decided it or one of our bot's member events did.
/// </summary>
internal static class ActiveUserChanges
{
    /// <returns>The audit entry to add, or null when they were already inactive.</returns>
    public static AuditLogEntry? Deactivate(User user, string reason, DateTimeOffset now, string actor)
    {
        var role = user.Role;
        var why = reason + BenignNote(user);
        return user.Deactivate(ClippedText.Clip(why, 2000), now)
            ? AuditLogEntry.Record(user.OrganizationId, now, actor, "user.deactivated", $"{NameOf(user)} (was {role}): {why}")
            : null;
    }

    /// <param name="why">What brought them back, after their name (e.g. "joined the team …").</param>
    /// <returns>The audit entry to add, or null when they were already active.</returns>
    public static AuditLogEntry? Reactivate(User user, string why, DateTimeOffset now, string actor) =>
        user.Reactivate()
            ? AuditLogEntry.Record(user.OrganizationId, now, actor, "user.reactivated", $"{NameOf(user)} {why}; role {user.Role} restored.")
            : null;

    /// <summary>
    /// People who still use IncidentIo another way are told why that does not keep them active, not
    /// left guessing: a 1:1 chat with our bot, or our web portal, is no team membership.
    /// </summary>
    private static string BenignNote(User user) =>
        (user.BotConversationId is not null || user.AppInstallation.State == InstallationState.Installed
            ? " They do have IncidentIo in a personal chat with our bot, but that does not count: only membership of a team with IncidentIo does."
            : "")
        + (user.Role >= UserRole.Admin ? $" They were an {user.Role}: if they use only our web portal, add them to a team with IncidentIo so they keep that role." : "");

    private static string NameOf(User user) => user.UserPrincipalName ?? user.DisplayName;
}
