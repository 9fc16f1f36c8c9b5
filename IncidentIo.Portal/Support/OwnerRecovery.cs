using System.Security.Claims;
using IncidentIo.Domain.Roles;

namespace IncidentIo.Portal.Support;

/// <summary>
/// Our staff's recovery of an organisation with no active Owner: they make one of its Microsoft admins
/// Owner. Staff only, checked from the sign-in on every call; audited as the staff member.
/// </summary>
public sealed class OwnerRecovery(SupportAccess access, OrganizationRoles roles)
{
    public async Task<IReadOnlyList<RecoveryCandidate>> CandidatesAsync(ClaimsPrincipal who, Guid organizationId, CancellationToken cancellationToken = default)
    {
        await DemandStaffAsync(who, cancellationToken);
        return await roles.RecoveryCandidatesAsync(organizationId, cancellationToken);
    }

    public async Task<RoleChangeResult> MakeOwnerAsync(ClaimsPrincipal who, Guid organizationId, Guid userId, CancellationToken cancellationToken = default)
    {
        var staff = await DemandStaffAsync(who, cancellationToken);
        return await roles.RecoverOwnerAsync(organizationId, staff.Actor, userId, cancellationToken);
    }

    private async Task<ConsoleViewer> DemandStaffAsync(ClaimsPrincipal who, CancellationToken cancellationToken)
    {
        var viewer = await access.ResolveAsync(who, cancellationToken);
        return viewer.IsStaff ? viewer : throw new SupportAccessDeniedException();
    }
}
