namespace IncidentIo.Domain.Setup.AutomaticInstall;

/// <summary>
/// The application permissions of our temporary setup app (admin consent #2), each with the
/// reason an admin is shown. Needed only while the automatic install runs; the admin can remove
/// them afterwards.
/// </summary>
public static class SetupPermissions
{
    public static IReadOnlyList<GraphPermissionRequest> All { get; } =
    [
        new("Team.Create", "Create teams", "To create the \"Incidents\" team when you do not have one."),
        new("Team.ReadBasic.All", "Read the names of all teams", "To find an existing \"Incidents\" team, so we never create a second."),
        new("Channel.ReadBasic.All", "Read the names of channels", "To find the team's General channel for our tab."),
        new("AppCatalog.Read.All", "Read your Teams app catalog", "To find our app in your organisation's app catalog."),
        new("TeamsAppInstallation.ReadWriteForTeam.All", "Add apps to teams", "To add our app to the \"Incidents\" team."),
        new("TeamsTab.ReadWriteForTeam.All", "Add tabs to channels", "To pin our tab in the General channel."),
    ];

    public static IEnumerable<string> Names => All.Select(p => p.Name);
}
