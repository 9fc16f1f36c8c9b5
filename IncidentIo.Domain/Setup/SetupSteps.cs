using IncidentIo.Domain.Audit;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.Roles;
using IncidentIo.Domain.Users;
using Microsoft.EntityFrameworkCore;

namespace IncidentIo.Domain.Setup;

/// <summary>
/// The guided setup's state and the simple steps (organisation details, plan). Everything is read
/// from and written to the database, so setup resumes where any admin of the organisation left it.
/// </summary>
public sealed class SetupSteps(IDbContextFactory<IncidentIoDbContext> dbFactory, TimeProvider clock)
{
    public async Task<SetupView> LoadAsync(Guid organizationId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var organization = await db.Organizations.AsNoTracking().Include(o => o.Plan).SingleAsync(o => o.Id == organizationId, cancellationToken);
        var owner = await db.Users.AsNoTracking().Where(u => u.OrganizationId == organizationId && u.Role == UserRole.Owner)
            .OrderByDescending(u => u.IsActive).ThenBy(u => u.CreatedAt).FirstOrDefaultAsync(cancellationToken);
        var plans = await db.Plans.AsNoTracking().OrderBy(p => p.SortOrder).ToListAsync(cancellationToken);
        return new SetupView(organization, owner, await LastAnsweredAsync(ConsentKind.GlobalPermissions), await LastAnsweredAsync(ConsentKind.SetupPermissions), plans);

        Task<ConsentRequest?> LastAnsweredAsync(ConsentKind kind) => db.ConsentRequests.AsNoTracking()
            .Where(r => r.OrganizationId == organizationId && r.Kind == kind && r.Outcome != ConsentOutcome.Pending)
            .OrderByDescending(r => r.AnsweredAt).FirstOrDefaultAsync(cancellationToken);
    }

    /// <summary>Step 2: the organisation's name as the admin wants it shown.</summary>
    public async Task<string?> ConfirmDetailsAsync(Membership member, string name, CancellationToken cancellationToken = default)
    {
        name = name.Trim();
        if (name.Length == 0)
        {
            return "Enter your organisation's name.";
        }

        if (name.Length > Organization.NameMaxLength)
        {
            return $"Use at most {Organization.NameMaxLength} characters.";
        }

        return await ChangeAsync(member, "setup.details-confirmed", $"Name \"{name}\".", (organization, now) =>
        {
            organization.Name = name;
            organization.Reach(SetupStage.OrganizationDetailsConfirmed, now);
        }, cancellationToken);
    }

    /// <summary>Step 3: the plan (changeable later); our staff see it to follow up.</summary>
    public async Task<string?> ChoosePlanAsync(Membership member, string planCode, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var plan = await db.Plans.SingleOrDefaultAsync(p => p.Code == planCode, cancellationToken);
        if (plan is null)
        {
            return "Choose one of the plans shown.";
        }

        if (await PlanSettings.RefusalAsync(db, member.Organization.Id, plan, cancellationToken) is { } refusal)
        {
            return refusal;
        }

        return await ChangeAsync(member, "setup.plan-chosen", $"Plan {plan.Name}.", (organization, now) => organization.ChoosePlan(plan, now), cancellationToken);
    }

    /// <returns>An error for the admin, or null when saved.</returns>
    private async Task<string?> ChangeAsync(Membership member, string action, string details, Action<Organization, DateTimeOffset> change, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var organization = await db.Organizations.SingleAsync(o => o.Id == member.Organization.Id, cancellationToken);
        // Who they are now, not when the page opened: a role taken away applies at once.
        var actor = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == member.User.Id && u.OrganizationId == organization.Id, cancellationToken);
        if (actor is null || !SetupAuthority.Allows(actor, await Ownership.UnownedAsync(db, organization.Id, cancellationToken), organization.SetupStage))
        {
            return "Only an admin of your organisation can change setup.";
        }

        var now = clock.GetUtcNow();
        change(organization, now);
        db.AuditLog.Add(AuditLogEntry.Record(
            organization.Id, now, AuditLogEntry.UserActor(member.User.UserPrincipalName, member.User.MicrosoftObjectId), action, details));
        await db.SaveChangesAsync(cancellationToken);
        return null;
    }
}

public sealed record SetupView(Organization Organization, User? Owner, ConsentRequest? LastGlobalConsent, ConsentRequest? LastSetupConsent, IReadOnlyList<Plan> Plans);
