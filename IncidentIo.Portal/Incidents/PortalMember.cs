using System.Security.Claims;
using IncidentIo.Domain.ActiveUsers;
using IncidentIo.Domain.Audit;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Setup;
using IncidentIo.Domain.Users;
using Microsoft.EntityFrameworkCore;

namespace IncidentIo.Portal.Incidents;

/// <summary>
/// The signed-in person as a member of their organisation, read from the database (creates
/// nothing: an organisation is created on <c>/setup</c>). The services behind the pages check the
/// role again on every call; this only decides what the page offers.
/// </summary>
public sealed record PortalMember(Guid UserId, Guid OrganizationId, string OrganizationName, string DisplayName, UserRole Role, string Actor)
{
    public bool IsAdmin => Role >= UserRole.Admin;

    /// <summary>Why the signed-in person is not an active member: their deactivation; null when they are not a deactivated member.</summary>
    public static async Task<Deactivation?> DeactivationAsync(IDbContextFactory<IncidentIoDbContext> dbFactory, ClaimsPrincipal principal, CancellationToken cancellationToken = default)
    {
        if (principal.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        try
        {
            var account = SignedInAccount.From(principal);
            return await Deactivation.FindAsync(dbFactory, account.TenantId, account.ObjectId, cancellationToken);
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <returns>null when nobody is signed in, or the person is not an active member of an organisation.</returns>
    public static async Task<PortalMember?> FindAsync(IDbContextFactory<IncidentIoDbContext> dbFactory, ClaimsPrincipal principal, CancellationToken cancellationToken = default)
    {
        if (principal.Identity?.IsAuthenticated != true)
        {
            return null;
        }

        SignedInAccount account;
        try
        {
            account = SignedInAccount.From(principal);
        }
        catch (InvalidOperationException)
        {
            return null; // signed in without a tenant or object id: not one of our customers' people
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Users.AsNoTracking()
            .Where(u => u.MicrosoftObjectId == account.ObjectId && u.Organization!.MicrosoftTenantId == account.TenantId && u.IsActive)
            .Select(u => new PortalMember(u.Id, u.OrganizationId, u.Organization!.Name, u.DisplayName, u.Role,
                AuditLogEntry.UserActor(u.UserPrincipalName, u.MicrosoftObjectId)))
            .SingleOrDefaultAsync(cancellationToken);
    }
}
