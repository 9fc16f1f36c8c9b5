namespace IncidentIo.Sandbox.State;

/// <summary>Bulk loading for generated tenants, and changing a user's Teams-side flags.</summary>
public sealed partial class SandboxState
{
    /// <summary>Adds many users under one lock; all or none (a clash with an existing UPN or id throws).</summary>
    public int AddUsers(IReadOnlyCollection<User> users)
    {
        lock (_gate)
        {
            var upns = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var user in users)
            {
                if (!_tenants.ContainsKey(user.TenantId))
                {
                    throw new InvalidOperationException($"Tenant {user.TenantId} does not exist.");
                }

                if (_usersByUpn.ContainsKey(user.UserPrincipalName) || _users.ContainsKey(user.Id) || !upns.Add(user.UserPrincipalName))
                {
                    throw new InvalidOperationException($"User {user.UserPrincipalName} ({user.Id}) already exists.");
                }
            }

            foreach (var user in users)
            {
                _users.Add(user.Id, user);
                _usersByUpn.Add(user.UserPrincipalName, user);
                _usersByTenant[user.TenantId].Add(user.UserPrincipalName, user);
            }

            return users.Count;
        }
    }

    /// <summary>Changes a user record (flags, name); the id, tenant and UPN must stay the same.</summary>
    public User? UpdateUser(Guid userId, Func<User, User> change)
    {
        lock (_gate)
        {
            if (!_users.TryGetValue(userId, out var user))
            {
                return null;
            }

            var changed = change(user);
            if (changed.Id != user.Id || changed.TenantId != user.TenantId || !changed.UserPrincipalName.Equals(user.UserPrincipalName, StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException("A user's id, tenant and UPN cannot change.");
            }

            _users[userId] = changed;
            _usersByUpn[changed.UserPrincipalName] = changed;
            _usersByTenant[changed.TenantId][changed.UserPrincipalName] = changed;
            return changed;
        }
    }

    /// <summary>Number of users in a tenant, without copying them.</summary>
    public int UserCount(Guid tenantId)
    {
        lock (_gate)
        {
            return _usersByTenant.TryGetValue(tenantId, out var users) ? users.Count : 0;
        }
    }

    /// <summary>One page of a tenant's users in UPN order, without copying the rest.</summary>
    public IReadOnlyList<User> UsersPage(Guid tenantId, int skip, int take)
    {
        lock (_gate)
        {
            return _usersByTenant.TryGetValue(tenantId, out var users) ? [.. users.Values.Skip(skip).Take(take)] : [];
        }
    }
}
