namespace IncidentIo.Sandbox.State;

/// <summary>
/// A directory user. <see cref="BlockedByPolicy"/> and <see cref="NeverOpenedTeams"/> are Teams-side
/// conditions the Graph and Bot simulations read later; Entra ignores them.
/// </summary>
public sealed record User(
    Guid Id,
    Guid TenantId,
    string UserPrincipalName,
    string DisplayName,
    string? Mail = null,
    bool IsGlobalAdmin = false,
    bool BlockedByPolicy = false,
    bool NeverOpenedTeams = false)
{
    public string? GivenName => DisplayName.Split(' ', 2)[0];

    public string? Surname => DisplayName.Contains(' ', StringComparison.Ordinal) ? DisplayName.Split(' ', 2)[1] : null;
}
