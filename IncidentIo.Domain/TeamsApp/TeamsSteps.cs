namespace IncidentIo.Domain.TeamsApp;

/// <summary>
/// The one wording of what people do by hand in Teams, used by setup's manual install, "add our app
/// to another team" and a deactivated person's page. Bold parts (Teams' own menu names) are between
/// <c>**</c>. Sources for the menus:
/// https://learn.microsoft.com/microsoftteams/teams-custom-app-policies-and-settings (custom apps are
/// uploaded as a package to a team or for oneself, only where policy allows; an admin allows them);
/// https://learn.microsoft.com/microsoftteams/manage-apps (Teams admin center → Teams apps → Manage apps).
/// The team owner's path (team → More options → Manage team → Apps, and More options → Add member) is
/// Microsoft's team-owner guide, which we found only as republished by organisations' help desks, not
/// on a Microsoft page we could read: kept to the menu names those copies agree on.
/// </summary>
public static class TeamsSteps
{
    /// <summary>The team setup creates and means when it says "the Incidents team".</summary>
    public const string IncidentsTeam = "Incidents";

    /// <summary>Adding our app to <paramref name="team"/> (a name, or a description such as "the team").</summary>
    public static IReadOnlyList<string> AddOurAppToTeam(string team) =>
    [
        $"In Teams, select **Teams** on the left, point at **{team}** and select **More options (⋯)** → **Manage team**.",
        "Open the **Apps** tab and select **Get more apps**.",
        "Search for **IncidentIo**, select it and choose **Add to a team**.",
        $"Choose **{team}** (its General channel) and select **Go** (Teams may call it **Set up a bot** or **Set up a tab**).",
    ];

    /// <summary>When IncidentIo is not in the store list: upload our package (where the organisation allows custom apps).</summary>
    public const string UploadPackage =
        "If IncidentIo is not listed and your organisation allows custom apps, select **Apps** → **Manage your apps** → **Upload an app** → " +
        "**Upload a custom app**, choose our app package, then **Add to a team** as above.";

    /// <summary>When nobody in the organisation can add it: the admin's side.</summary>
    public const string AdminMustAllow =
        "If IncidentIo is neither listed nor can be uploaded, a Teams admin must allow it in the **Teams admin center** → **Teams apps** → **Manage apps**.";

    /// <summary>A team owner adding a person to a team.</summary>
    public static IReadOnlyList<string> AddPersonToTeam(string person, string team) =>
    [
        $"A team owner of **{team}** selects **Teams** on the left, points at **{team}** and selects **More options (⋯)** → **Add member**.",
        $"They type **{person}**, select the name and then **Add**.",
    ];
}
