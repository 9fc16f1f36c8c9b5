using IncidentIo.Sandbox.State;

namespace IncidentIo.Sandbox.Graph.Teams;

/// <summary>
/// Which permissions allow each Teams operation, from the Graph reference pages (least privileged
/// first). Where a page's table was not available (operations, channels) the set is the natural
/// one for the resource; README.md says which.
/// </summary>
public static class TeamsPermissions
{
    private static readonly string[] GroupRead = ["Group.Read.All", "Group.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"];
    private static readonly string[] GroupWrite = ["Group.ReadWrite.All", "Directory.ReadWrite.All"];

    public static readonly Permissions ReadTeam = Both(["Team.ReadBasic.All", "TeamSettings.Read.All", "TeamSettings.ReadWrite.All", .. GroupRead]);

    public static readonly Permissions ListGroups = Both(["GroupMember.Read.All", .. GroupRead]);

    public static readonly Permissions JoinedTeams = Both(
        ["Team.ReadBasic.All", "TeamSettings.Read.All", "TeamSettings.ReadWrite.All", "User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"]);

    public static readonly Permissions CreateTeam = new(["Team.Create", .. GroupWrite], ["Team.Create", "Teamwork.Migrate.All", .. GroupWrite]);

    /// <summary>Not documented for v1.0 team operations: whoever may create or read teams.</summary>
    public static readonly Permissions ReadOperation = new(
        [.. CreateTeam.Delegated, .. ReadTeam.Delegated], [.. CreateTeam.Application, .. ReadTeam.Application]);

    public static readonly Permissions ReadChannels = Both(["Channel.ReadBasic.All", "ChannelSettings.Read.All", "ChannelSettings.ReadWrite.All", .. GroupRead]);

    public static readonly Permissions ReadTabs = new(
        ["TeamsTab.Read.All", "TeamsTab.ReadWriteSelfForTeam", "TeamsTab.ReadWriteForTeam", "TeamsTab.ReadWrite.All", .. GroupRead],
        ["TeamsTab.Read.All", "TeamsTab.ReadWriteSelfForTeam.All", "TeamsTab.ReadWriteForTeam.All", "TeamsTab.ReadWrite.All", .. GroupRead]);

    public static readonly Permissions CreateTab = new(
        ["TeamsTab.Create", "TeamsTab.ReadWriteSelfForTeam", "TeamsTab.ReadWriteForTeam", "TeamsTab.ReadWrite.All", .. GroupWrite],
        ["TeamsTab.Create", "TeamsTab.ReadWriteSelfForTeam.All", "TeamsTab.ReadWriteForTeam.All", "TeamsTab.ReadWrite.All", .. GroupWrite]);

    public static readonly Permissions ReadMembers = Both(["TeamMember.Read.All", "TeamMember.ReadWrite.All"]);

    public static readonly Permissions ReadTeamApps = new(
        [.. TeamInstall("", read: true), .. GroupRead],
        [.. TeamInstall(".All", read: true), "TeamsAppInstallation.Read.All", .. GroupRead]);

    public static readonly Permissions WriteTeamApps = new(
        [.. TeamInstall("", read: false), "TeamsAppInstallation.ManageSelectedForTeam", .. GroupWrite],
        [.. TeamInstall(".All", read: false), "TeamsAppInstallation.ManageSelectedForTeam.All", .. GroupWrite]);

    public static readonly Permissions ReadUserApps = new(UserInstall("", read: true), UserInstall(".All", read: true));

    public static readonly Permissions WriteUserApps = new(UserInstall("", read: false), UserInstall(".All", read: false));

    public static readonly Permissions ReadCatalog = new(
        ["AppCatalog.Submit", "AppCatalog.Read.All", "AppCatalog.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"],
        ["AppCatalog.Read.All", "AppCatalog.ReadWrite.All"]);

    /// <summary>
    /// Whether the caller may manage this app's installations: any non-"Self" permission of the
    /// operation does; a "Self" one only for the app whose manifest names the caller.
    /// </summary>
    public static bool CanManage(GraphCaller caller, Permissions permissions, CatalogApp app)
    {
        var granted = caller.IsAppOnly ? permissions.Application.Where(caller.Roles.Contains) : permissions.Delegated.Where(caller.Scopes.Contains);
        return granted.Any(p => !p.Contains("Self", StringComparison.Ordinal))
            || app.AzureAdAppId is null
            || app.AzureAdAppId.Equals(caller.ClientId, StringComparison.OrdinalIgnoreCase);
    }

    private static Permissions Both(string[] names) => new(names, names);

    private static string[] TeamInstall(string suffix, bool read) =>
    [
        .. read ? [$"TeamsAppInstallation.ReadForTeam{suffix}"] : Array.Empty<string>(),
        $"TeamsAppInstallation.ReadWriteSelfForTeam{suffix}",
        $"TeamsAppInstallation.ReadWriteForTeam{suffix}",
        $"TeamsAppInstallation.ReadWriteAndConsentSelfForTeam{suffix}",
        $"TeamsAppInstallation.ReadWriteAndConsentForTeam{suffix}",
    ];

    private static string[] UserInstall(string suffix, bool read) =>
    [
        .. read ? [$"TeamsAppInstallation.ReadForUser{suffix}"] : Array.Empty<string>(),
        $"TeamsAppInstallation.ReadWriteSelfForUser{suffix}",
        $"TeamsAppInstallation.ReadWriteForUser{suffix}",
        $"TeamsAppInstallation.ReadWriteAndConsentSelfForUser{suffix}",
        $"TeamsAppInstallation.ReadWriteAndConsentForUser{suffix}",
        $"TeamsAppInstallation.ManageSelectedForUser{suffix}",
        $"TeamsAppInstallation.ReadWriteSelectedForUser{suffix}",
    ];
}
