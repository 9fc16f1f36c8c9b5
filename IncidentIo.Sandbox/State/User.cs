namespace IncidentIo.Sandbox.State;

/// <summary>
/// A directory user. <see cref="BlockedByPolicy"/> and <see cref="NeverOpenedTeams"/> are Teams-side
/// conditions the Graph and Bot simulations read later; Entra ignores them. <see cref="IsGuest"/>: invited
/// from another organisation (Entra's <c>userType</c> Guest), which ID tokens show in <c>acct</c>.
/// </summary>
public sealed record User(
    Guid Id,
    Guid TenantId,
    string UserPrincipalName,
    string DisplayName,
    string? Mail = null,
    bool IsGlobalAdmin = false,
    bool BlockedByPolicy = false,
    bool NeverOpenedTeams = false,
    IReadOnlyList<string>? AppRoles = null,
    bool IsGuest = false)
{
    /// <summary>App roles assigned to the user, by value; an app's ID tokens carry those the app defines.</summary>
    public IReadOnlyList<string> AssignedAppRoles => AppRoles ?? [];

    public string? GivenName => DisplayName.Split(' ', 2)[0];

    public string? Surname => DisplayName.Contains(' ', StringComparison.Ordinal) ? DisplayName.Split(' ', 2)[1] : null;
}
