using System.Collections.Immutable;

namespace IncidentIo.Sandbox.State;

/// <summary>
/// What one tenant has granted one app: the service principal exists once any grant exists.
/// Admin consent grants application roles and tenant-wide delegated scopes; user consent grants
/// delegated scopes for one user.
/// </summary>
public sealed record Grant(
    Guid TenantId,
    string ClientId,
    ImmutableSortedSet<string> ApplicationRoles,
    ImmutableSortedSet<string> TenantDelegatedScopes,
    ImmutableDictionary<Guid, ImmutableSortedSet<string>> UserDelegatedScopes,
    DateTimeOffset? AdminConsentedAt)
{
    public static Grant Empty(Guid tenantId, string clientId) => new(
        tenantId,
        clientId,
        ImmutableSortedSet.Create<string>(StringComparer.OrdinalIgnoreCase),
        ImmutableSortedSet.Create<string>(StringComparer.OrdinalIgnoreCase),
        ImmutableDictionary<Guid, ImmutableSortedSet<string>>.Empty,
        null);

    /// <summary>Delegated scopes this user may use: tenant-wide plus their own.</summary>
    public ImmutableSortedSet<string> DelegatedScopesFor(Guid userId) =>
        UserDelegatedScopes.TryGetValue(userId, out var own) ? TenantDelegatedScopes.Union(own) : TenantDelegatedScopes;

    public bool HasAnyDelegatedGrantFor(Guid userId) =>
        !TenantDelegatedScopes.IsEmpty || UserDelegatedScopes.ContainsKey(userId);
}
