using System.Security.Claims;
using IncidentIo.Domain.Audit;
using IncidentIo.Domain.Changes;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Setup;
using IncidentIo.Domain.Users;
using IncidentIo.Portal.Setup;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IncidentIo.Portal.Support;

/// <summary>
/// Who may use the support console, decided on the server from the sign-in and the database:
/// our staff (signed in from <c>Support:StaffTenantId</c>) see every organisation; an Admin or
/// Owner of a customer's organisation sees only theirs; anyone else is turned away.
/// </summary>
public sealed class SupportAccess(IOptions<SupportOptions> options, OrganizationOnboarding onboarding, IDbContextFactory<IncidentIoDbContext> dbFactory, SharedReads shared)
{
    /// <summary>
    /// When the console opens. A customer joins their organisation as on <c>/setup</c> (the first
    /// person from a tenant creates it); staff never do: their tenant is ours, not a customer's.
    /// </summary>
    public async Task<ConsoleViewer> OpenAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default)
    {
        if (principal.Identity?.IsAuthenticated != true)
        {
            return ConsoleViewer.Anonymous;
        }

        if (options.Value.IsStaff(principal))
        {
            return Staff(principal);
        }

        if (options.Value.FromStaffTenant(principal))
        {
            return NotStaff(principal);
        }

        var member = await onboarding.EnsureMemberAsync(principal, cancellationToken);
        return Customer(member.User, member.Organization.Id, member.Organization.Name);
    }

    /// <summary>
    /// Before every query and action: who this is now, read from the database (not remembered from
    /// when the page opened, so a role taken away or a deactivation applies at once). Creates nothing.
    /// </summary>
    public async Task<ConsoleViewer> ResolveAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default)
    {
        if (principal.Identity?.IsAuthenticated != true)
        {
            return ConsoleViewer.Anonymous;
        }

        if (options.Value.IsStaff(principal))
        {
            return Staff(principal);
        }

        if (options.Value.FromStaffTenant(principal))
        {
            return NotStaff(principal);
        }

        var account = SignedInAccount.From(principal);
        var found = await shared.ReadAsync($"console-viewer:{account.TenantId}:{account.ObjectId}", ct => FindMemberAsync(account, ct), cancellationToken);
        return found is null
            ? new ConsoleViewer(ConsoleRole.NotAllowed, account.DisplayName, AuditLogEntry.UserActor(account.UserPrincipalName, account.ObjectId), null, null)
            : Customer(found.Value.User, found.Value.User.OrganizationId, found.Value.OrganizationName);
    }

    private async Task<(User User, string OrganizationName)?> FindMemberAsync(SignedInAccount account, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var found = await db.Users.AsNoTracking()
            .Where(u => u.MicrosoftObjectId == account.ObjectId && u.Organization!.MicrosoftTenantId == account.TenantId)
            .Select(u => new { User = u, OrganizationName = u.Organization!.Name })
            .SingleOrDefaultAsync(cancellationToken);
        return found is null ? null : (found.User, found.OrganizationName);
    }

    private static ConsoleViewer Staff(ClaimsPrincipal principal)
    {
        var account = SignedInAccount.From(principal);
        return new ConsoleViewer(ConsoleRole.Staff, account.DisplayName, StaffActor(account), null, null);
    }

    /// <summary>Someone of our own tenant without the staff app role, or a guest in it: no organisation, nothing to see.</summary>
    private static ConsoleViewer NotStaff(ClaimsPrincipal principal)
    {
        var account = SignedInAccount.From(principal);
        return new ConsoleViewer(ConsoleRole.NotAllowed, account.DisplayName, StaffActor(account), null, null);
    }

    /// <summary>How staff appear in the audit log: "staff:" and their sign-in name (their object id if they have none).</summary>
    public static string StaffActor(SignedInAccount account) => $"staff:{account.UserPrincipalName ?? account.ObjectId.ToString()}";

    private static ConsoleViewer Customer(User user, Guid organizationId, string organizationName) => new(
        user.IsActive && user.Role >= UserRole.Admin ? ConsoleRole.OrganizationAdmin : ConsoleRole.NotAllowed,
        user.DisplayName,
        AuditLogEntry.UserActor(user.UserPrincipalName, user.MicrosoftObjectId),
        organizationId,
        organizationName);
}

public enum ConsoleRole
{
    /// <summary>Not signed in.</summary>
    Anonymous,

    /// <summary>Signed in, but neither staff nor an Admin or Owner of their organisation.</summary>
    NotAllowed,

    OrganizationAdmin,

    Staff,
}

/// <param name="Actor">How the audit log names this person ("staff:…" or "user:…").</param>
/// <param name="OrganizationId">A customer's own organisation; null for staff and strangers.</param>
public sealed record ConsoleViewer(ConsoleRole Role, string Name, string Actor, Guid? OrganizationId, string? OrganizationName)
{
    public static readonly ConsoleViewer Anonymous = new(ConsoleRole.Anonymous, "", "", null, null);

    public bool IsStaff => Role == ConsoleRole.Staff;

    public bool MayUseConsole => Role is ConsoleRole.Staff or ConsoleRole.OrganizationAdmin;

    /// <summary>Staff may look at and act on any organisation; an admin only on their own.</summary>
    public bool MayActOn(Guid organizationId) =>
        Role == ConsoleRole.Staff || (Role == ConsoleRole.OrganizationAdmin && OrganizationId == organizationId);
}

/// <summary>The asker may not see or act on that organisation (or use the console at all).</summary>
public sealed class SupportAccessDeniedException : Exception
{
    public SupportAccessDeniedException()
        : base("Not allowed.")
    {
    }

    public SupportAccessDeniedException(string message)
        : base(message)
    {
    }

    public SupportAccessDeniedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
