using System.Security.Claims;
using Hangfire;
using IncidentIo.Domain.Audit;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.Reachability;
using IncidentIo.Domain.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Identity.Web;

namespace IncidentIo.Domain.Setup;

/// <summary>
/// Turns a signed-in Microsoft account into a member of its tenant's organisation: the first
/// person from a tenant creates it (and owns it), later ones join it — never a second organisation.
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
        if (user is null)
        {
            user = new User
            {
                OrganizationId = organization.Id,
                MicrosoftObjectId = signedIn.ObjectId,
                DisplayName = signedIn.DisplayName,
                UserPrincipalName = signedIn.UserPrincipalName,
                // Whoever starts setup owns the organisation; people who come later start as viewers.
                Role = created ? UserRole.Owner : UserRole.Viewer,
                CreatedAt = now,
            };
            db.Users.Add(user);
            db.AuditLog.Add(AuditLogEntry.Record(
                organization.Id,
                now,
                AuditLogEntry.UserActor(signedIn.UserPrincipalName, signedIn.ObjectId),
                created ? "organization.created" : "user.joined",
                created ? $"Organisation \"{organization.Name}\" created at first sign-in from tenant {signedIn.TenantId}." : null));
            await db.SaveChangesAsync(cancellationToken);
            if (organization.GlobalPermissionsGrantedAt is not null)
            {
                // Someone new: install our app for them, so the bot can reach them when it must.
                var userId = user.Id;
                jobs.Enqueue<AppInstallationJobs>(j => j.InstallUserAsync(userId, "joined", CancellationToken.None));
            }
        }

        return new Membership(organization, user, created);
    }

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

public sealed record Membership(Organization Organization, User User, bool CreatedOrganization);

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
