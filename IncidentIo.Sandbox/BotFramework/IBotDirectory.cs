namespace IncidentIo.Sandbox.BotFramework;

/// <summary>
/// What the Bot Framework side needs to know about Teams: who exists, where the bot is installed,
/// and team rosters. Teams state implements it; <see cref="BotDirectory"/> is an in-memory one for
/// tests and for hosts without Teams state. Every method is a cheap, side-effect-free lookup that
/// may be called on each connector request, so answers must reflect changes immediately.
/// </summary>
public interface IBotDirectory
{
    /// <summary>A user as Teams shows them to bots, or null when the tenant has no such user.</summary>
    BotMember? FindUser(Guid tenantId, Guid aadObjectId);

    /// <summary>
    /// Whether the bot's Teams app is installed in the user's personal scope. False for unknown
    /// users and for users Teams would not let have it (e.g. blocked by policy).
    /// </summary>
    bool IsInstalledForUser(string botAppId, Guid tenantId, Guid aadObjectId);

    /// <summary>
    /// Whether the user is a member of a team where the bot's Teams app is installed. Such a user can
    /// get the bot's proactive 1:1 messages without a personal install: "For users, your app either
    /// must be installed for the user or your user must be part of a team where your app is
    /// installed" (https://learn.microsoft.com/en-us/microsoftteams/platform/bots/how-to/conversations/send-proactive-messages;
    /// the same on https://learn.microsoft.com/en-us/microsoftteams/platform/graph-api/proactive-bots-and-messages/graph-proactive-bots-and-messages).
    /// </summary>
    bool IsInBotTeam(string botAppId, Guid tenantId, Guid aadObjectId);

    /// <summary>
    /// The team a thread belongs to: <paramref name="threadId"/> is the team id (its General
    /// channel's thread id) or any of its channels' thread ids (<c>19:…@thread.tacv2</c>,
    /// without any <c>;messageid=</c> suffix). Null when no team has that thread.
    /// </summary>
    BotTeam? FindTeamByThread(string threadId);

    /// <summary>Whether the bot's Teams app is installed in the team (by <see cref="BotTeam.Id"/>).</summary>
    bool IsInstalledInTeam(string botAppId, string teamId);

    /// <summary>The team's members in a stable order (paging relies on it); empty for unknown teams.</summary>
    IReadOnlyList<BotMember> TeamMembers(string teamId);
}

/// <summary>A person as bots see them. <see cref="UserPrincipalName"/> is for look-ups only: bots are not sent it.</summary>
public sealed record BotMember(
    Guid AadObjectId,
    Guid TenantId,
    string Name,
    string? GivenName = null,
    string? Surname = null,
    string? UserPrincipalName = null,
    string UserRole = "user")
{
    /// <summary>The Teams user id bots address the person by (<c>29:…</c>).</summary>
    public string TeamsId => ConnectorIds.UserId(TenantId, AadObjectId);
}

/// <summary>
/// A team as bots see it. <see cref="Id"/> is the General channel's thread id, which is what Teams
/// calls the team id in bot payloads (not the Graph group id, <see cref="AadGroupId"/>).
/// </summary>
public sealed record BotTeam(string Id, Guid TenantId, Guid AadGroupId, string Name, IReadOnlyList<BotTeamChannel> Channels)
{
    /// <summary>Whether the thread is this team's General channel or one of its channels.</summary>
    public bool HasThread(string threadId) =>
        string.Equals(Id, threadId, StringComparison.OrdinalIgnoreCase) || Channels.Any(c => string.Equals(c.Id, threadId, StringComparison.OrdinalIgnoreCase));
}

/// <summary>A channel of a team; the General channel's id equals the team's id.</summary>
public sealed record BotTeamChannel(string Id, string Name);
