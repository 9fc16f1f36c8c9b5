namespace IncidentIo.Sandbox.State;

/// <summary>
/// An app registration as the product configures it in Entra: who it is, where it may redirect,
/// and which Graph permissions it asks for. Permission names are Graph's short names
/// (<c>User.Read.All</c>), never full URIs.
/// </summary>
public sealed record AppRegistration
{
    public required string ClientId { get; init; }

    public required string DisplayName { get; init; }

    public IReadOnlyList<string> ClientSecrets { get; init; } = [];

    public IReadOnlyList<string> RedirectUris { get; init; } = [];

    /// <summary>Application permissions (app roles) on Microsoft Graph; need admin consent.</summary>
    public IReadOnlyList<string> ApplicationPermissions { get; init; } = [];

    /// <summary>Delegated scopes on Microsoft Graph, e.g. <c>User.Read</c>.</summary>
    public IReadOnlyList<string> DelegatedScopes { get; init; } = [];

    /// <summary>The app roles the app defines (their values); assigned users get them in the app's ID tokens' <c>roles</c>.</summary>
    public IReadOnlyList<string> AppRoles { get; init; } = [];

    /// <summary>The tenant the app is registered in, where it exists without any consent.</summary>
    public Guid? HomeTenantId { get; init; }
}
