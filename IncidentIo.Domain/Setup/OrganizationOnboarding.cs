using System.Security.Claims;
using Hangfire;
using IncidentIo.Domain.Audit;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.Reachability;
using IncidentIo.Domain.Roles;
using IncidentIo.Domain.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Identity.Web;

namespace IncidentIo.Domain.Setup;

/// <summary>
/// Turns a signed-in Microsoft account into a member of its tenant's organisation: the first
/// person from a tenant creates it, later ones join it — never a second organisation. Nobody owns it
/// for arriving first: see <see cref="Ownership"/>.
/// </summary>
public sealed class OrganizationOnboarding(
    IDbContextFactory<IncidentIoDbContext> dbFactory,
    GraphClients graph,
    IBackgroundJobClient jobs,
    TimeProvider clock,
    ILogger<OrganizationOnboarding> logger)
{
    public async Task<Membership> EnsureMemberAsync(ClaimsPrincipal principal, CancellationToken cancellationToken = default)
    {
        var signedIn = SignedInAccount.From(principal);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await JoinOrCreateAsync(principal, signedIn, cancellationToken);
            }
            catch (DbUpdateException) when (attempt == 0)
            {
                // Someone else from the same tenant created the organisation (or this user) at the
                // same moment: the unique indexes kept it single; read it again and join.
            }
        }
    }

    private async Task<Membership> JoinOrCreateAsync(ClaimsPrincipal principal, SignedInAccount signedIn, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = clock.GetUtcNow();
        var organization = await db.Organizations.Include(o => o.Plan)
            .SingleOrDefaultAsync(o => o.MicrosoftTenantId == signedIn.TenantId, cancellationToken);
        var created = organization is null;
        if (organization is null)
        {
            organization = new Organization
            {
                Name = await TenantNameAsync(principal, signedIn, cancellationToken),
                MicrosoftTenantId = signedIn.TenantId,
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.Organizations.Add(organization);
        }

        var user = created ? null : await db.Users.SingleOrDefaultAsync(
            u => u.OrganizationId == organization.Id && u.MicrosoftObjectId == signedIn.ObjectId, cancellationToken);
        var microsoftAdmin = MicrosoftAdminRoles.ShownBy(principal);
        // Ownership must be proved: a sign-in naming a Microsoft admin role claims an organisation nobody owns
        // yet; anyone else joins as a viewer (completing the global-permissions consent is the other proof).
        var claimsOwnership = microsoftAdmin && (created || await Ownership.UnownedAsync(db, organization.Id, cancellationToken));
        if (user is null)
        {
            user = new User
            {
                OrganizationId = organization.Id,
                MicrosoftObjectId = signedIn.ObjectId,
                DisplayName = signedIn.DisplayName,
                UserPrincipalName = signedIn.UserPrincipalName,
                Role = claimsOwnership ? UserRole.Owner : UserRole.Viewer,
                MicrosoftAdminAtLastSignIn = microsoftAdmin,
                CreatedAt = now,
            };
            db.Users.Add(user);
            var actor = AuditLogEntry.UserActor(signedIn.UserPrincipalName, signedIn.ObjectId);
            db.AuditLog.Add(AuditLogEntry.Record(
                organization.Id,
                now,
                actor,
                created ? "organization.created" : "user.joined",
                created ? $"Organisation \"{organization.Name}\" created at first sign-in from tenant {signedIn.TenantId}." : null));
            if (claimsOwnership)
            {
                db.AuditLog.Add(OwnerClaimed(organization.Id, now, actor));
            }

            await db.SaveChangesAsync(cancellationToken);
            if (organization.GlobalPermissionsGrantedAt is not null)
            {
                // Someone new: install our app for them, so the bot can reach them when it must.
                var userId = user.Id;
                jobs.Enqueue<AppInstallationJobs>(j => j.InstallUserAsync(userId, "joined", CancellationToken.None));
            }
        }
        else if (user.MicrosoftAdminAtLastSignIn != microsoftAdmin || (claimsOwnership && user.IsActive && user.Role != UserRole.Owner))
        {
            // Written only when something changed: this runs on every page that needs the member.
            user.MicrosoftAdminAtLastSignIn = microsoftAdmin;
            if (claimsOwnership && user.IsActive)
            {
                user.Role = UserRole.Owner;
                db.AuditLog.Add(OwnerClaimed(organization.Id, now, AuditLogEntry.UserActor(signedIn.UserPrincipalName, signedIn.ObjectId)));
            }

            await db.SaveChangesAsync(cancellationToken);
        }

        return new Membership(organization, user, created) { Unowned = !claimsOwnership && await Ownership.UnownedAsync(db, organization.Id, cancellationToken) };
    }

    private static AuditLogEntry OwnerClaimed(Guid organizationId, DateTimeOffset now, string actor) => AuditLogEntry.Record(
        organizationId, now, actor, "organization.owner-claimed",
        "Became Owner: the sign-in named a Microsoft admin role (Global Administrator or Privileged Role Administrator) and nobody owned the organisation yet.");

    /// <summary>The tenant's own name from Graph (delegated <c>User.Read</c> may read it); the domain if Graph fails.</summary>
    private async Task<string> TenantNameAsync(ClaimsPrincipal principal, SignedInAccount signedIn, CancellationToken cancellationToken)
    {
        try
        {
            var organizations = await graph.ForUser(principal, ["User.Read"]).Organization.GetAsync(cancellationToken: cancellationToken);
            if (organizations?.Value?.FirstOrDefault()?.DisplayName is { Length: > 0 } name)
            {
                return name.Length > Organization.NameMaxLength ? name[..Organization.NameMaxLength] : name;
            }
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            logger.LogWarning(exception, "Could not read the name of tenant {TenantId}; using the sign-in domain", signedIn.TenantId);
        }

        return signedIn.UserPrincipalName?.Split('@').LastOrDefault() ?? "My organisation";
    }
}

public sealed record Membership(Organization Organization, User User, bool CreatedOrganization)
{
    /// <summary>Nobody owns the organisation yet (when the membership was read).</summary>
    public bool Unowned { get; init; }

    /// <summary>Whether they may do setup's steps up to the global permissions (see <see cref="SetupAuthority"/>).</summary>
    public bool MayRunSetup => SetupAuthority.Allows(User, Unowned, Organization.SetupStage);
}

/// <summary>
/// Who may do setup's steps: an active Admin or Owner; and while nobody owns the organisation, anyone of
/// the tenant up to the global permissions — Microsoft lets only its admins grant those, and whoever does
/// becomes the Owner.
/// </summary>
public static class SetupAuthority
{
    public static bool Allows(User user, bool unowned, SetupStage stage) =>
        user.IsActive && (user.Role >= UserRole.Admin || (unowned && stage < SetupStage.GlobalPermissionsGranted));
}

/// <summary>Who signed in, from the id token's claims (identified by tenant and object id, never by e-mail).</summary>
public sealed record SignedInAccount(Guid TenantId, Guid ObjectId, string DisplayName, string? UserPrincipalName)
{
    public static SignedInAccount From(ClaimsPrincipal principal)
    {
        var tenant = principal.GetTenantId();
        var objectId = principal.GetObjectId();
        if (!Guid.TryParse(tenant, out var tenantId) || !Guid.TryParse(objectId, out var userId))
        {
            throw new InvalidOperationException("The signed-in account has no Microsoft tenant or object id.");
        }

        var name = principal.FindFirst("name")?.Value;
        var upn = principal.FindFirst("preferred_username")?.Value;
        return new SignedInAccount(tenantId, userId, name is { Length: > 0 } ? name : upn ?? objectId!, upn);
    }
}
