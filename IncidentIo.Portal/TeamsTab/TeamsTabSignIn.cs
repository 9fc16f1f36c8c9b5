using IncidentIo.Domain.ActiveUsers;
using IncidentIo.Domain.Audit;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Setup;
using IncidentIo.Domain.TeamsApp;
using IncidentIo.Domain.Users;
using Microsoft.EntityFrameworkCore;

namespace IncidentIo.Portal.TeamsTab;

/// <summary>
/// Signs a tab's circuit in from the Teams SSO token (our cookie does not reach an iframe on
/// Teams' site): the token must be valid and from a tenant that has set us up.
/// </summary>
public sealed class TeamsTabSignIn(TeamsSsoTokens tokens, OrganizationOnboarding onboarding, IDbContextFactory<IncidentIoDbContext> dbFactory)
{
    public async Task<TeamsTabSession> SignInAsync(string? token, CancellationToken cancellationToken = default)
    {
        var result = await tokens.ValidateAsync(token, cancellationToken);
        if (!result.IsValid)
        {
            return TeamsTabSession.Refused(result.Problem!);
        }

        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            // A tab from a tenant we do not know must not create an organisation: setup does that.
            if (!await db.Organizations.AnyAsync(o => o.MicrosoftTenantId == result.TenantId, cancellationToken))
            {
                return TeamsTabSession.Refused("Your organisation has not set up IncidentIo yet. An admin can start at the IncidentIo portal.");
            }
        }

        var membership = await onboarding.EnsureMemberAsync(result.Principal!, cancellationToken);
        if (!membership.User.IsActive)
        {
            // Signed in, but not one who may declare: the tab says why and what fixes it, not a bare refusal.
            var deactivation = await Deactivation.FindAsync(dbFactory, membership.Organization.MicrosoftTenantId, membership.User.MicrosoftObjectId, cancellationToken);
            return TeamsTabSession.Refused("You are deactivated in this organisation.") with { Deactivated = deactivation };
        }

        return new TeamsTabSession(membership.Organization.Id, membership.Organization.Name, membership.User.Id, membership.User.DisplayName, membership.User.Role, null)
        {
            Actor = AuditLogEntry.UserActor(membership.User.UserPrincipalName, membership.User.MicrosoftObjectId),
        };
    }
}

/// <summary>Who is using this tab, as proven by their Teams SSO token; or why nobody is.</summary>
public sealed record TeamsTabSession(Guid OrganizationId, string OrganizationName, Guid UserId, string DisplayName, UserRole Role, string? Problem)
{
    public bool IsSignedIn => Problem is null;

    /// <summary>Set when the person is a deactivated member: what the tab shows them instead of the form.</summary>
    public Deactivation? Deactivated { get; init; }

    /// <summary>How changes made from the tab are audited.</summary>
    public string Actor { get; init; } = "user:unknown";

    public static TeamsTabSession Refused(string problem) => new(Guid.Empty, "", Guid.Empty, "", UserRole.Viewer, problem);
}
