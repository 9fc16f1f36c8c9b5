using IncidentIo.Domain.Data;
using IncidentIo.Domain.Users;
using Microsoft.EntityFrameworkCore;

namespace IncidentIo.Domain.ActiveUsers;

/// <summary>
/// What a deactivated person is told about themselves wherever they arrive (the portal, setup, our
/// tab): when and why (the sweep run or bot event and the teams it checked, as recorded at the
/// time), which teams have our app now, and the ids support needs. Read only for the person
/// themselves, found by their own tenant and object id.
/// </summary>
public sealed record Deactivation(
    Guid UserId,
    Guid ObjectId,
    string DisplayName,
    string? UserPrincipalName,
    Guid OrganizationId,
    string OrganizationName,
    Guid TenantId,
    UserRole? RoleBeforeDeactivation,
    DateTimeOffset? DeactivatedAt,
    string? Reason,
    IReadOnlyList<string> TeamsWithOurApp,
    string? LastMicrosoftRequestId,
    string? LastMicrosoftError)
{
    /// <returns>null when the person is unknown or active.</returns>
    public static async Task<Deactivation?> FindAsync(IDbContextFactory<IncidentIoDbContext> dbFactory, Guid tenantId, Guid objectId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var found = await db.Users.AsNoTracking()
            .Where(u => u.MicrosoftObjectId == objectId && u.Organization!.MicrosoftTenantId == tenantId && !u.IsActive)
            .Select(u => new { User = u, OrganizationName = u.Organization!.Name })
            .SingleOrDefaultAsync(ct);
        if (found is null)
        {
            return null;
        }

        var user = found.User;
        var teams = await db.BotTeams.AsNoTracking().Where(t => t.OrganizationId == user.OrganizationId && t.RemovedAt == null)
            .OrderBy(t => t.Name).Select(t => t.Name).ToListAsync(ct);
        var installation = user.AppInstallation;
        return new Deactivation(user.Id, user.MicrosoftObjectId, user.DisplayName, user.UserPrincipalName, user.OrganizationId, found.OrganizationName, tenantId,
            user.RoleBeforeDeactivation, user.DeactivatedAt, user.DeactivationReason, teams,
            installation.LastRequestId, installation.LastErrorCode is null ? installation.LastError : $"{installation.LastStatus} {installation.LastErrorCode}");
    }
}
