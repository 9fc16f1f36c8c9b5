using IncidentIo.Domain.Audit;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Setup;
using IncidentIo.Domain.Users;
using Microsoft.EntityFrameworkCore;

namespace IncidentIo.Domain.Roles;

/// <summary>
/// An organisation's people and their roles: listing, changing, handing over ownership, and our staff's
/// recovery of an organisation left without an active Owner. The actor is read from the database on
/// every call (never trusted from a page), the rules are <see cref="RoleRules"/>, every change is audited,
/// and a refused change writes nothing.
/// </summary>
public sealed class OrganizationRoles(IDbContextFactory<IncidentIoDbContext> dbFactory, TimeProvider clock)
{
    public const int PageSize = 200;

    /// <summary>The people page for an active Admin or Owner; null for anyone else.</summary>
    public async Task<PeopleRolesView?> LoadAsync(Guid organizationId, Guid actorUserId, string? search = null, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var actor = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == actorUserId && u.OrganizationId == organizationId, cancellationToken);
        if (actor is not { IsActive: true, Role: >= UserRole.Admin })
        {
            return null;
        }

        var people = db.Users.AsNoTracking().Where(u => u.OrganizationId == organizationId).Matching(search, db.Database.IsNpgsql());
        var rows = await people
            .OrderByDescending(u => u.Role == UserRole.Owner || u.RoleBeforeDeactivation == UserRole.Owner)
            .ThenByDescending(u => u.Role == UserRole.Admin || u.RoleBeforeDeactivation == UserRole.Admin)
            .ThenBy(u => u.DisplayName).ThenBy(u => u.Id)
            .Take(PageSize)
            .Select(u => new PersonRole(u.Id, u.DisplayName, u.UserPrincipalName, u.Role, u.IsActive, u.RoleBeforeDeactivation, u.DeactivatedAt, u.MicrosoftAdminAtLastSignIn))
            .ToListAsync(cancellationToken);
        var activeOwners = await Ownership.ActiveOwners(db, organizationId).CountAsync(cancellationToken);
        var kept = await db.AuditLog.AsNoTracking()
            .Where(a => a.OrganizationId == organizationId && a.Action == KeptOwnerAction)
            .OrderByDescending(a => a.OccurredAt).Select(a => new KeptOwnerNotice(a.OccurredAt, a.Details ?? ""))
            .FirstOrDefaultAsync(cancellationToken);
        return new PeopleRolesView(actor.Id, actor.Role, activeOwners, rows, kept);
    }

    public Task<RoleChangeResult> ChangeRoleAsync(Guid organizationId, Guid actorUserId, Guid targetUserId, UserRole role, CancellationToken cancellationToken = default) =>
        InTransactionAsync(organizationId, async (db, now) =>
        {
            var actor = await FindAsync(db, organizationId, actorUserId, cancellationToken);
            var target = await FindAsync(db, organizationId, targetUserId, cancellationToken);
            var activeOwners = await Ownership.ActiveOwners(db, organizationId).CountAsync(cancellationToken);
            if (RoleRules.RefusalToChange(actor, target, role, activeOwners) is { } refusal)
            {
                return refusal;
            }

            var before = RoleRules.Held(target!);
            Give(target!, role);
            db.AuditLog.Add(AuditLogEntry.Record(organizationId, now, Actor(actor!), "user.role-changed",
                $"{RoleRules.NameOf(target!)}: {before} → {role}" + (target!.IsActive ? "." : " (kept while deactivated; theirs again when they are back in a team with IncidentIo).")));
            return null;
        }, cancellationToken);

    /// <summary>The Owner hands the organisation to someone else and stays on as an Admin.</summary>
    public Task<RoleChangeResult> TransferOwnershipAsync(Guid organizationId, Guid actorUserId, Guid targetUserId, CancellationToken cancellationToken = default) =>
        InTransactionAsync(organizationId, async (db, now) =>
        {
            var actor = await FindAsync(db, organizationId, actorUserId, cancellationToken);
            var target = await FindAsync(db, organizationId, targetUserId, cancellationToken);
            if (RoleRules.RefusalToTransfer(actor, target) is { } refusal)
            {
                return refusal;
            }

            var before = target!.Role;
            target.Role = UserRole.Owner;
            actor!.Role = UserRole.Admin;
            db.AuditLog.Add(AuditLogEntry.Record(organizationId, now, Actor(actor), "organization.ownership-transferred",
                $"{RoleRules.NameOf(target)} ({before} → Owner) now owns the organisation; {RoleRules.NameOf(actor)} Owner → Admin."));
            return null;
        }, cancellationToken);

    /// <summary>
    /// The people staff may make Owner of an organisation that has no active Owner: active people of the
    /// organisation whose latest sign-in named a Microsoft admin role, or who completed the global-permissions consent.
    /// Empty while the organisation has an active Owner (then it needs no recovery).
    /// </summary>
    public async Task<IReadOnlyList<RecoveryCandidate>> RecoveryCandidatesAsync(Guid organizationId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await Ownership.ActiveOwners(db, organizationId).AnyAsync(cancellationToken))
        {
            return [];
        }

        return await Candidates(db, organizationId)
            .OrderBy(u => u.DisplayName).ThenBy(u => u.Id)
            .Select(u => new RecoveryCandidate(u.Id, u.DisplayName, u.UserPrincipalName, u.Role, u.MicrosoftAdminAtLastSignIn,
                db.ConsentRequests.Any(r => r.RequestedByUserId == u.Id && r.Kind == ConsentKind.GlobalPermissions && r.Outcome == ConsentOutcome.Granted)))
            .Take(PageSize)
            .ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Our staff make a Microsoft admin of the tenant its Owner, when the organisation has no active Owner.
    /// The caller has checked <paramref name="staffActor"/> is staff; the audit entry names them.
    /// </summary>
    public Task<RoleChangeResult> RecoverOwnerAsync(Guid organizationId, string staffActor, Guid targetUserId, CancellationToken cancellationToken = default) =>
        InTransactionAsync(organizationId, async (db, now) =>
        {
            if (await Ownership.ActiveOwners(db, organizationId).AnyAsync(cancellationToken))
            {
                return "This organisation has an active Owner: they manage its roles.";
            }

            var target = await Candidates(db, organizationId).SingleOrDefaultAsync(u => u.Id == targetUserId, cancellationToken);
            if (target is null)
            {
                return "Only an active person of this organisation whose last sign-in showed a Microsoft admin role, or who granted the global permissions, can be made Owner.";
            }

            var before = target.Role;
            target.Role = UserRole.Owner;
            db.AuditLog.Add(AuditLogEntry.Record(organizationId, now, staffActor, "organization.owner-recovered",
                $"{RoleRules.NameOf(target)} ({before} → Owner) made Owner by our staff: the organisation had no active Owner" +
                (target.MicrosoftAdminAtLastSignIn ? "; their last sign-in showed a Microsoft admin role." : "; they granted the global permissions.")));
            return null;
        }, cancellationToken);

    internal const string KeptOwnerAction = "user.kept-as-last-owner";

    private static IQueryable<User> Candidates(IncidentIoDbContext db, Guid organizationId) =>
        db.Users.Where(u => u.OrganizationId == organizationId && u.IsActive
            && (u.MicrosoftAdminAtLastSignIn
                || db.ConsentRequests.Any(r => r.RequestedByUserId == u.Id && r.Kind == ConsentKind.GlobalPermissions && r.Outcome == ConsentOutcome.Granted)));

    private static void Give(User target, UserRole role)
    {
        if (target.IsActive)
        {
            target.Role = role;
        }
        else
        {
            // Deactivated people act as nobody; the role is kept for when they are back.
            target.RoleBeforeDeactivation = role > UserRole.Viewer ? role : null;
        }
    }

    private static Task<User?> FindAsync(IncidentIoDbContext db, Guid organizationId, Guid userId, CancellationToken cancellationToken) =>
        db.Users.SingleOrDefaultAsync(u => u.Id == userId && u.OrganizationId == organizationId, cancellationToken);

    private static string Actor(User actor) => AuditLogEntry.UserActor(actor.UserPrincipalName, actor.MicrosoftObjectId);

    /// <summary>Runs a change under the organisation's lock; commits only when it returns no refusal.</summary>
    private async Task<RoleChangeResult> InTransactionAsync(Guid organizationId, Func<IncidentIoDbContext, DateTimeOffset, Task<string?>> change, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = clock.GetUtcNow();
        if (await Ownership.LockAsync(db, organizationId, now, cancellationToken) == 0)
        {
            return new RoleChangeResult("No such organisation.");
        }

        if (await change(db, now) is { } refusal)
        {
            await transaction.RollbackAsync(cancellationToken);
            return new RoleChangeResult(refusal);
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return RoleChangeResult.Done;
    }
}

/// <param name="Error">Why nothing changed; null when the change was made.</param>
public sealed record RoleChangeResult(string? Error)
{
    public static readonly RoleChangeResult Done = new((string?)null);

    public bool Succeeded => Error is null;
}

public sealed record PersonRole(
    Guid Id, string DisplayName, string? UserPrincipalName, UserRole Role, bool IsActive, UserRole? KeptRole, DateTimeOffset? DeactivatedAt, bool MicrosoftAdmin)
{
    /// <summary>The role they hold: a deactivated person's kept role.</summary>
    public UserRole Held => IsActive ? Role : KeptRole ?? Role;
}

/// <summary>The latest time the sweep or a member event kept the last active Owner active, and what to do.</summary>
public sealed record KeptOwnerNotice(DateTimeOffset At, string Details);

/// <param name="ViewerRole">The asker's own role (decides which changes the page offers).</param>
public sealed record PeopleRolesView(Guid ViewerId, UserRole ViewerRole, int ActiveOwners, IReadOnlyList<PersonRole> People, KeptOwnerNotice? KeptOwner);

public sealed record RecoveryCandidate(Guid Id, string DisplayName, string? UserPrincipalName, UserRole Role, bool MicrosoftAdminAtLastSignIn, bool GrantedGlobalPermissions);
