using IncidentIo.Domain.Audit;
using IncidentIo.Domain.Data;
using Microsoft.EntityFrameworkCore;

namespace IncidentIo.Domain.Announcements;

/// <summary>
/// The rule setup gives every organisation, so its first incident is announced somewhere: every
/// incident (declared and resolved) → the General channel of the team setup installed our app in.
/// Setup knows the team before Teams has told our bot about it, so the rule is made at the first
/// moment both are known (setup's end, the announcement settings, a declaration, the announcing
/// job), once per organisation: the organisation's row is claimed in the rule's own transaction.
/// Afterwards it is an ordinary rule that admins change or delete.
/// </summary>
public static class DefaultAnnouncementRule
{
    public const string Name = "Every incident";
    public const string Actor = "setup";

    /// <summary>Remembers the team setup means (the first one told wins) and makes the rule if the bot already knows it.</summary>
    public static async Task RememberTeamAsync(IDbContextFactory<IncidentIoDbContext> dbFactory, Guid organizationId, Guid graphTeamId, DateTimeOffset now, CancellationToken ct)
    {
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            await db.Organizations.Where(o => o.Id == organizationId && o.IncidentsTeamGraphId == null)
                .ExecuteUpdateAsync(s => s.SetProperty(o => o.IncidentsTeamGraphId, graphTeamId), ct);
        }

        await EnsureAsync(dbFactory, organizationId, now, ct);
    }

    /// <returns>true when this call made the rule.</returns>
    public static async Task<bool> EnsureAsync(IDbContextFactory<IncidentIoDbContext> dbFactory, Guid organizationId, DateTimeOffset now, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var pending = await db.Organizations.AsNoTracking()
            .Where(o => o.Id == organizationId && o.IncidentsTeamGraphId != null && o.DefaultAnnouncementRuleCreatedAt == null)
            .Select(o => o.IncidentsTeamGraphId).SingleOrDefaultAsync(ct);
        if (pending is not { } teamId)
        {
            return false;
        }

        var team = await db.BotTeams.AsNoTracking()
            .Where(t => t.OrganizationId == organizationId && t.GraphTeamId == teamId && t.RemovedAt == null).FirstOrDefaultAsync(ct);
        if (team is null)
        {
            return false; // Teams has not told our bot about the team yet
        }

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var claimed = await db.Organizations.Where(o => o.Id == organizationId && o.DefaultAnnouncementRuleCreatedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(o => o.DefaultAnnouncementRuleCreatedAt, now), ct);
        if (claimed == 0)
        {
            return false; // made meanwhile by another call
        }

        db.Add(new AnnouncementRule
        {
            OrganizationId = organizationId,
            Name = Name,
            BotTeamId = team.Id,
            ChannelConversationId = team.TeamThreadId,
            ChannelName = "General",
            CreatedAt = now,
            UpdatedAt = now,
        });
        db.AuditLog.Add(AuditLogEntry.Record(organizationId, now, Actor, "announcement-rule.created", $"{Name} → {team.Name} › General (made by setup)"));
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return true;
    }
}
