namespace IncidentIo.Sandbox.Entra;

/// <summary>
/// Delegated Graph permissions that only an admin may consent to. A non-admin who is asked for one
/// gets Entra's "Need admin approval" (AADSTS90094) instead of the consent screen.
/// </summary>
public static class AdminOnlyScopes
{
    private static readonly HashSet<string> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        "User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All",
        "Group.Read.All", "Group.ReadWrite.All", "TeamMember.Read.All", "TeamMember.ReadWrite.All",
        "TeamsAppInstallation.ReadWriteForUser", "TeamsAppInstallation.ReadWriteForTeam", "AppCatalog.ReadWrite.All",
    };

    public static bool Contains(string scope) => Names.Contains(scope);
}
