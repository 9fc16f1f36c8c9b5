namespace IncidentIo.Domain.Setup;

/// <summary>
/// The application permissions of our main app ("global permissions", admin consent #1), each
/// with the reason an admin is shown. Kept for as long as the organisation uses the product.
/// </summary>
public static class GlobalPermissions
{
    public static IReadOnlyList<GraphPermissionRequest> All { get; } =
    [
        new("User.ReadBasic.All", "Read basic profiles of your users", "To show names and pick incident leads from your organisation."),
        new("Team.ReadBasic.All", "Read the names of all teams", "To list the teams announcement rules can post to."),
        new("Channel.ReadBasic.All", "Read the names of channels", "To let you choose which channel of a team gets announcements."),
        new("TeamMember.Read.All", "Read the members of all teams", "To keep access in step with your teams: people in no team with our app are deactivated."),
        new("TeamsAppInstallation.ReadForTeam.All", "See which teams have our app",
            "To confirm where our app is installed when you add it to a team yourself."),
        new("AppCatalog.Read.All", "Read your Teams app catalog", "To find our app in your organisation's catalog, which installing it for someone needs."),
        new("TeamsAppInstallation.ReadWriteAndConsentSelfForUser.All", "Install our app for your users",
            "Our bot can only message someone (for example an incident lead) when our app is installed for them."),
    ];

    public static IEnumerable<string> Names => All.Select(p => p.Name);
}

public sealed record GraphPermissionRequest(string Name, string Title, string Why);
