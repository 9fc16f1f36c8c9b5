using IncidentIo.Domain.Data;
using IncidentIo.Domain.Users;
using Microsoft.EntityFrameworkCore;

namespace IncidentIo.Domain.Roles;

/// <summary>Who owns an organisation, asked the same way by every service that needs to know.</summary>
public static class Ownership
{
    /// <summary>Owners, the deactivated ones (whose kept role is Owner) included.</summary>
    public static IQueryable<User> Owners(IncidentIoDbContext db, Guid organizationId) =>
        db.Users.Where(u => u.OrganizationId == organizationId && (u.Role == UserRole.Owner || u.RoleBeforeDeactivation == UserRole.Owner));

    /// <summary>Owners who may act now.</summary>
    public static IQueryable<User> ActiveOwners(IncidentIoDbContext db, Guid organizationId) =>
        db.Users.Where(u => u.OrganizationId == organizationId && u.IsActive && u.Role == UserRole.Owner);

    /// <summary>
    /// Whether nobody has owned the organisation yet: until someone proves they are a Microsoft admin
    /// (their sign-in's roles, or completing the global-permissions consent), setup is open to whoever
    /// of the tenant signs in, and Microsoft decides who may grant the permissions.
    /// </summary>
    public static async Task<bool> UnownedAsync(IncidentIoDbContext db, Guid organizationId, CancellationToken cancellationToken) =>
        !await Owners(db, organizationId).AnyAsync(cancellationToken);

    /// <summary>
    /// Serialises changes of an organisation's roles: touching its row takes the row's lock (PostgreSQL)
    /// or the database's write lock (SQLite) until the transaction ends, so two changes can never both
    /// see "another Owner remains" and together leave none.
    /// </summary>
    public static Task<int> LockAsync(IncidentIoDbContext db, Guid organizationId, DateTimeOffset now, CancellationToken cancellationToken) =>
        db.Organizations.Where(o => o.Id == organizationId).ExecuteUpdateAsync(s => s.SetProperty(o => o.UpdatedAt, now), cancellationToken);
}

/// <summary>
/// The last active Owner is never deactivated by the sweep or a member event: an organisation without
/// one cannot be run (only our staff could recover it). They stay active, and the audit log and the
/// people page say why and what to do.
/// </summary>
public static class LastOwnerGuard
{
    /// <summary>
    /// Of the people about to be deactivated, the Owner to keep: the earliest of them when every active
    /// Owner is among them; null when another active Owner remains.
    /// </summary>
    public static async Task<User?> OwnerToKeepAsync(IncidentIoDbContext db, Guid organizationId, IReadOnlyCollection<Guid> deactivating, CancellationToken cancellationToken)
    {
        var owners = await Ownership.ActiveOwners(db, organizationId).OrderBy(u => u.CreatedAt).ThenBy(u => u.Id).ToListAsync(cancellationToken);
        return owners.Count > 0 && owners.All(o => deactivating.Contains(o.Id)) ? owners[0] : null;
    }

    /// <summary>The words of the audit entry and the sweep run: who was kept, why, and the fix.</summary>
    public static string Note(User owner, string why) =>
        $"{RoleRules.NameOf(owner)} was kept active although {why}: they are the organisation's last active Owner. " +
        "Add them to a team where IncidentIo is installed (or add IncidentIo to a team they are in), or make someone else Owner on People and roles.";
}
