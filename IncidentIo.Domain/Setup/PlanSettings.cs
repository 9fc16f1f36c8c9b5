using IncidentIo.Domain.Announcements;
using IncidentIo.Domain.Audit;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.Users;
using Microsoft.EntityFrameworkCore;

namespace IncidentIo.Domain.Setup;

/// <summary>
/// Changing plan after setup (<c>/settings/plan</c>). Only an active Admin or Owner of the
/// organisation may, checked against the database on every call; every change is audited; a plan
/// that would not allow what the organisation already has (more rules than it includes) is refused.
/// </summary>
public sealed class PlanSettings(IDbContextFactory<IncidentIoDbContext> dbFactory, TimeProvider clock)
{
    public const string NotAllowed = "Only an admin or owner of your organisation can change its plan.";

    /// <summary>The plans and the current one; null when the viewer is not an active member of the organisation.</summary>
    public async Task<PlanSettingsView?> LoadAsync(Guid organizationId, Guid viewerUserId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var viewer = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == viewerUserId && u.OrganizationId == organizationId && u.IsActive, ct);
        if (viewer is null)
        {
            return null;
        }

        var current = await db.Organizations.Where(o => o.Id == organizationId).Select(o => o.PlanCode).SingleAsync(ct);
        var plans = await db.Plans.AsNoTracking().OrderBy(p => p.SortOrder).ToListAsync(ct);
        return new PlanSettingsView(current, plans, viewer.Role >= UserRole.Admin);
    }

    /// <returns>An error for the admin, or null when changed (or already on that plan).</returns>
    public async Task<string?> ChangeAsync(Guid organizationId, Guid actorUserId, string planCode, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var actor = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == actorUserId && u.OrganizationId == organizationId && u.IsActive, ct);
        if (actor is null || actor.Role < UserRole.Admin)
        {
            return NotAllowed;
        }

        var plan = await db.Plans.SingleOrDefaultAsync(p => p.Code == planCode, ct);
        if (plan is null)
        {
            return "Choose one of the plans shown.";
        }

        var organization = await db.Organizations.Include(o => o.Plan).SingleAsync(o => o.Id == organizationId, ct);
        if (organization.PlanCode == plan.Code)
        {
            return null;
        }

        if (await RefusalAsync(db, organizationId, plan, ct) is { } refusal)
        {
            return refusal;
        }

        var now = clock.GetUtcNow();
        var from = organization.Plan?.Name ?? "no plan";
        organization.ChoosePlan(plan, now);
        db.AuditLog.Add(AuditLogEntry.Record(organizationId, now, AuditLogEntry.UserActor(actor.UserPrincipalName, actor.MicrosoftObjectId),
            "plan.changed", $"{from} → {plan.Name}."));
        await db.SaveChangesAsync(ct);
        return null;
    }

    /// <summary>Why the organisation cannot move to <paramref name="plan"/> as it is, or null when it can.</summary>
    public static async Task<string?> RefusalAsync(IncidentIoDbContext db, Guid organizationId, Plan plan, CancellationToken ct)
    {
        var features = PlanFeatures.Of(plan.Code);
        var rules = await db.Set<AnnouncementRule>().CountAsync(r => r.OrganizationId == organizationId, ct);
        return features.MaxAnnouncementRules is { } max && rules > max
            ? $"The {plan.Name} plan includes {max} announcement rule{(max == 1 ? "" : "s")} and you have {rules}: delete rules in Settings → Announcements first, or keep a larger plan."
            : null;
    }
}

/// <param name="CurrentPlanCode">null before a plan was chosen.</param>
public sealed record PlanSettingsView(string? CurrentPlanCode, IReadOnlyList<Plan> Plans, bool CanChange);
