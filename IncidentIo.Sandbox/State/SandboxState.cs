using System.Collections.Immutable;

namespace IncidentIo.Sandbox.State;

/// <summary>
/// Everything the simulated tenants know. One lock guards it all: the records are immutable, so
/// readers get consistent snapshots and the Sandbox never needs more throughput than this gives.
/// Lists come back in a fixed order (by UPN, by id) so tests and paging are deterministic.
/// </summary>
public sealed partial class SandboxState
{
    private readonly Lock _gate = new();
    private readonly Dictionary<Guid, Tenant> _tenants = [];
    private readonly Dictionary<Guid, User> _users = [];
    // Indexes so large generated tenants stay fast: by UPN, and each tenant's users in UPN order.
    private readonly Dictionary<string, User> _usersByUpn = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<Guid, SortedDictionary<string, User>> _usersByTenant = [];
    private readonly Dictionary<string, AppRegistration> _apps = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<(Guid TenantId, string ClientId), Grant> _grants = [];
    private readonly TimeProvider _time;

    public SandboxState(TimeProvider time)
    {
        _time = time;
        Teams = new TeamsDirectory(this, time);
    }

    /// <summary>Teams, channels, members, app catalog and installations (see <see cref="TeamsDirectory"/>).</summary>
    public TeamsDirectory Teams { get; }

    public Tenant AddTenant(Tenant tenant)
    {
        lock (_gate)
        {
            if (!_tenants.TryAdd(tenant.Id, tenant))
            {
                throw new InvalidOperationException($"Tenant {tenant.Id} already exists.");
            }

            _usersByTenant.Add(tenant.Id, new SortedDictionary<string, User>(StringComparer.OrdinalIgnoreCase));
            return tenant;
        }
    }

    public User AddUser(User user)
    {
        lock (_gate)
        {
            if (!_tenants.ContainsKey(user.TenantId))
            {
                throw new InvalidOperationException($"Tenant {user.TenantId} does not exist.");
            }

            if (_usersByUpn.ContainsKey(user.UserPrincipalName) || _users.ContainsKey(user.Id))
            {
                throw new InvalidOperationException($"User {user.UserPrincipalName} ({user.Id}) already exists.");
            }

            _users.Add(user.Id, user);
            _usersByUpn.Add(user.UserPrincipalName, user);
            _usersByTenant[user.TenantId].Add(user.UserPrincipalName, user);
            return user;
        }
    }

    /// <summary>Adds or replaces an app registration (the product registers its apps at start-up).</summary>
    public AppRegistration RegisterApp(AppRegistration app)
    {
        lock (_gate)
        {
            _apps[app.ClientId] = app;
            return app;
        }
    }

    public IReadOnlyList<Tenant> Tenants()
    {
        lock (_gate)
        {
            return [.. _tenants.Values.OrderBy(t => t.DisplayName, StringComparer.Ordinal)];
        }
    }

    /// <summary>Finds a tenant by GUID or by any verified domain.</summary>
    public Tenant? FindTenant(string idOrDomain)
    {
        lock (_gate)
        {
            if (Guid.TryParse(idOrDomain, out var id))
            {
                return _tenants.GetValueOrDefault(id);
            }

            return _tenants.Values.FirstOrDefault(t => t.VerifiedDomains.Contains(idOrDomain, StringComparer.OrdinalIgnoreCase));
        }
    }

    public IReadOnlyList<User> Users(Guid tenantId)
    {
        lock (_gate)
        {
            return _usersByTenant.TryGetValue(tenantId, out var users) ? [.. users.Values] : [];
        }
    }

    public User? FindUser(Guid userId)
    {
        lock (_gate)
        {
            return _users.GetValueOrDefault(userId);
        }
    }

    /// <summary>Finds a user of one tenant by object id or UPN, as Graph's <c>/users/{id|upn}</c> does.</summary>
    public User? FindUser(Guid tenantId, string idOrUpn)
    {
        var user = Guid.TryParse(idOrUpn, out var id) ? FindUser(id) : FindUserByUpn(idOrUpn);
        return user?.TenantId == tenantId ? user : null;
    }

    public User? FindUserByUpn(string upn)
    {
        lock (_gate)
        {
            return _usersByUpn.GetValueOrDefault(upn.Trim());
        }
    }

    public IReadOnlyList<AppRegistration> Apps()
    {
        lock (_gate)
        {
            return [.. _apps.Values.OrderBy(a => a.DisplayName, StringComparer.Ordinal)];
        }
    }

    public AppRegistration? FindApp(string clientId)
    {
        lock (_gate)
        {
            return _apps.GetValueOrDefault(clientId);
        }
    }

    public IReadOnlyList<Grant> Grants()
    {
        lock (_gate)
        {
            return [.. _grants.Values.OrderBy(g => g.TenantId).ThenBy(g => g.ClientId, StringComparer.Ordinal)];
        }
    }

    public Grant? FindGrant(Guid tenantId, string clientId)
    {
        lock (_gate)
        {
            return _grants.GetValueOrDefault((tenantId, clientId.ToLowerInvariant()));
        }
    }

    /// <summary>Whether the app has a service principal in the tenant (home tenant, or consented).</summary>
    public bool AppExistsIn(Guid tenantId, string clientId)
    {
        var app = FindApp(clientId);
        return app is not null && (app.HomeTenantId == tenantId || FindGrant(tenantId, clientId) is not null);
    }

    /// <summary>Admin consent: every application permission, and the given delegated scopes tenant-wide.</summary>
    public Grant GrantAdminConsent(Guid tenantId, string clientId, IEnumerable<string> applicationRoles, IEnumerable<string> delegatedScopes) =>
        Update(tenantId, clientId, g => g with
        {
            ApplicationRoles = g.ApplicationRoles.Union(applicationRoles),
            TenantDelegatedScopes = g.TenantDelegatedScopes.Union(delegatedScopes),
            AdminConsentedAt = _time.GetUtcNow(),
        });

    /// <summary>User consent on the sign-in consent screen: delegated scopes for that user only.</summary>
    public Grant GrantUserConsent(Guid tenantId, string clientId, Guid userId, IEnumerable<string> scopes) =>
        Update(tenantId, clientId, g => g with
        {
            UserDelegatedScopes = g.UserDelegatedScopes.SetItem(
                userId,
                g.UserDelegatedScopes.GetValueOrDefault(userId, ImmutableSortedSet.Create<string>(StringComparer.OrdinalIgnoreCase)).Union(scopes)),
        });

    /// <summary>Removes the app from the tenant, as deleting its enterprise application does.</summary>
    public bool RevokeGrant(Guid tenantId, string clientId)
    {
        lock (_gate)
        {
            return _grants.Remove((tenantId, clientId.ToLowerInvariant()));
        }
    }

    private Grant Update(Guid tenantId, string clientId, Func<Grant, Grant> change)
    {
        var key = (tenantId, clientId.ToLowerInvariant());
        lock (_gate)
        {
            var grant = change(_grants.GetValueOrDefault(key) ?? Grant.Empty(tenantId, key.Item2));
            _grants[key] = grant;
            return grant;
        }
    }
}
