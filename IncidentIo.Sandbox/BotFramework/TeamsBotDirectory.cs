using IncidentIo.Sandbox.State;

namespace IncidentIo.Sandbox.BotFramework;

/// <summary>
/// The <see cref="IBotDirectory"/> the Sandbox uses by default: every answer is read off the
/// Sandbox's directory users and its <see cref="TeamsDirectory"/> at the time of the call. A bot's
/// Teams app is the catalog app whose manifest <c>botId</c> is the bot's app id.
/// </summary>
public sealed class TeamsBotDirectory(SandboxState state) : IBotDirectory
{
    public BotMember? FindUser(Guid tenantId, Guid aadObjectId) =>
        state.FindUser(aadObjectId) is { } user && user.TenantId == tenantId ? BotDirectory.FromUser(user) : null;

    /// <summary>
    /// The user's personal installations include the bot's app, the install is complete (not
    /// waiting for a user who never opened Teams), and the user is not blocked by policy.
    /// </summary>
    public bool IsInstalledForUser(string botAppId, Guid tenantId, Guid aadObjectId) =>
        state.FindUser(aadObjectId) is { BlockedByPolicy: false } user && user.TenantId == tenantId
        && state.Teams.Installations(InstallationScope.User, aadObjectId)
            .Any(i => !i.AwaitingTeamsClient && IsBotApp(botAppId, i));

    /// <summary>
    /// A member of a team with the bot's app. Not documented, so the Sandbox's choices: someone who
    /// never opened Teams has no chats yet (as for personal installs); whether an app permission policy
    /// that blocks the app for the user also stops this route is the tenant's
    /// <see cref="TeamsTenantSettings.PolicyBlockStopsTeamRoute"/> (off by default).
    /// </summary>
    public bool IsInBotTeam(string botAppId, Guid tenantId, Guid aadObjectId) =>
        state.FindUser(aadObjectId) is { } user && user.TenantId == tenantId && state.Teams.HasOpenedTeams(user)
        && !(user.BlockedByPolicy && state.Teams.Settings(tenantId).PolicyBlockStopsTeamRoute)
        && state.Teams.JoinedTeams(aadObjectId).Any(team => state.Teams.Installations(InstallationScope.Team, team.Id).Any(i => IsBotApp(botAppId, i)));

    public BotTeam? FindTeamByThread(string threadId) =>
        state.Teams.FindTeamByThread(threadId) is { } team ? ToBotTeam(team) : null;

    /// <summary>Whether the team (by any of its thread ids, normally <see cref="BotTeam.Id"/>) has the bot's app installed.</summary>
    public bool IsInstalledInTeam(string botAppId, string teamId) =>
        state.Teams.FindTeamByThread(teamId) is { } team
        && state.Teams.Installations(InstallationScope.Team, team.Id).Any(i => IsBotApp(botAppId, i));

    /// <summary>The team's members in the order they joined; users no longer in the directory are left out.</summary>
    public IReadOnlyList<BotMember> TeamMembers(string teamId) =>
        state.Teams.FindTeamByThread(teamId) is { } team
            ? [.. state.Teams.Members(team.Id).Select(m => FindUser(team.TenantId, m.UserId)).OfType<BotMember>()]
            : [];

    /// <summary>Whether the installed app is a catalog app whose bot is <paramref name="botAppId"/>.</summary>
    public bool IsBotApp(string botAppId, AppInstallation installation) =>
        state.Teams.FindCatalogApp(installation.TenantId, installation.TeamsAppId) is { BotId: { } botId }
        && string.Equals(botId, botAppId, StringComparison.OrdinalIgnoreCase);

    /// <summary>A team as bots see it: the General channel's thread id is its id.</summary>
    public BotTeam ToBotTeam(Team team) =>
        new(team.GeneralChannelId, team.TenantId, team.Id, team.DisplayName,
            [.. state.Teams.Channels(team.Id).Select(c => new BotTeamChannel(c.Id, c.DisplayName))]);
}
