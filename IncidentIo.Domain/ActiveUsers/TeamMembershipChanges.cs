using IncidentIo.Domain.Audit;
using IncidentIo.Domain.Bot;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Reachability;
using IncidentIo.Domain.Roles;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace IncidentIo.Domain.ActiveUsers;

/// <summary>
/// Active users kept in step between sweeps, from the membership changes Teams tells our bot
/// about: someone joining a team where our bot is installed is reactivated (their previous role
/// restored); someone leaving one is deactivated only when Graph shows they are in no other team
/// where our bot is installed. When Graph cannot say, nothing changes and the next sweep decides.
/// The sweep's rules hold: roles above Viewer are kept for restoring, and every change is audited.
/// </summary>
public sealed class TeamMembershipChanges(PersonTeams personTeams, ILogger<TeamMembershipChanges> logger)
{
    public const string Actor = "bot:teams-event";

    /// <summary>
    /// What leaving <paramref name="teamThreadId"/> means for each of these people, asked of Graph
    /// before anything is written. People we do not know, already inactive, or leaving a team that
    /// is not one of our bot's teams are left alone.
    /// </summary>
    public async Task<RemovalPlan> PlanRemovalsAsync(
        IncidentIoDbContext db, Guid organizationId, Guid tenantId, string teamThreadId, IReadOnlyCollection<Guid> objectIds, CancellationToken cancellationToken)
    {
        var botTeams = await db.BotTeams.AsNoTracking().Where(t => t.OrganizationId == organizationId && t.RemovedAt == null).ToListAsync(cancellationToken);
        var team = botTeams.SingleOrDefault(t => t.TeamThreadId == teamThreadId);
        if (team is null)
        {
            logger.LogWarning("People left team {Thread}, where our bot is not installed as far as we know: no one is deactivated", teamThreadId);
            return RemovalPlan.Nothing;
        }

        var users = await db.Users.AsNoTracking()
            .Where(u => u.OrganizationId == organizationId && u.IsActive && objectIds.Contains(u.MicrosoftObjectId))
            .Select(u => new { u.Id, u.MicrosoftObjectId }).ToListAsync(cancellationToken);
        var others = botTeams.Where(t => t.Id != team.Id).ToList();
        var knownGraphIds = botTeams.Where(t => t.GraphTeamId is not null).Select(t => t.GraphTeamId!.Value).ToHashSet();
        var someUnresolved = others.Any(t => t.GraphTeamId is null);

        var deactivate = new List<Guid>();
        var learned = new Dictionary<Guid, Guid>();
        foreach (var user in users)
        {
            // The thread id of a joined team is read only when one of our other teams has no Graph id yet.
            var (joined, failure) = await personTeams.JoinedTeamsAsync(tenantId, user.MicrosoftObjectId, id => someUnresolved && !knownGraphIds.Contains(id), cancellationToken);
            if (joined is null)
            {
                logger.LogWarning("User {UserId} left team {Thread}, but their other teams could not be read ({Failure}): nothing changes; the next sweep decides", user.Id, teamThreadId, failure);
                continue;
            }

            foreach (var resolved in joined.Where(j => j.ThreadId is not null))
            {
                if (others.FirstOrDefault(t => t.GraphTeamId is null && t.TeamThreadId == resolved.ThreadId) is { } botTeam)
                {
                    learned[botTeam.Id] = resolved.GraphId;
                }
            }

            var stillIn = joined.Where(j => others.Any(t => t.GraphTeamId == j.GraphId || (j.ThreadId is not null && t.TeamThreadId == j.ThreadId))).ToList();
            if (stillIn.Count == 0)
            {
                deactivate.Add(user.Id);
            }
            else
            {
                logger.LogInformation("User {UserId} left team {Thread} but is still in {Teams}, where our bot is installed: stays active",
                    user.Id, teamThreadId, string.Join(", ", stillIn.Select(t => t.Name)));
            }
        }

        return new RemovalPlan(team, deactivate, learned);
    }

    /// <summary>Applies a plan in the caller's unit of work (tracked by <paramref name="db"/>, saved by the caller).</summary>
    public static async Task ApplyRemovalsAsync(IncidentIoDbContext db, RemovalPlan plan, DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var (botTeamId, graphId) in plan.LearnedGraphIds)
        {
            if (await db.BotTeams.FindAsync([botTeamId], cancellationToken) is { GraphTeamId: null } botTeam)
            {
                botTeam.GraphTeamId = graphId;
            }
        }

        if (plan.Team is not { } team || plan.Deactivate.Count == 0)
        {
            return;
        }

        var reason = $"Removed from the team \"{team.Name}\" on {now:u}, and not a member of any other team where IncidentIo is installed. " +
                     "To restore them, add them to a team where IncidentIo is installed, or add IncidentIo to a team they are in.";
        var keep = await LastOwnerGuard.OwnerToKeepAsync(db, team.OrganizationId, plan.Deactivate, cancellationToken);
        if (keep is not null)
        {
            db.AuditLog.Add(AuditLogEntry.Record(team.OrganizationId, now, Actor, OrganizationRoles.KeptOwnerAction,
                ClippedText.Clip(LastOwnerGuard.Note(keep, $"they left the team \"{team.Name}\" on {now:u} and are in no other team with IncidentIo"), 2000)));
        }

        foreach (var user in await db.Users.Where(u => plan.Deactivate.Contains(u.Id) && (keep == null || u.Id != keep.Id)).ToListAsync(cancellationToken))
        {
            if (ActiveUserChanges.Deactivate(user, reason, now, Actor) is { } audit)
            {
                db.AuditLog.Add(audit);
            }
        }
    }

    /// <summary>
    /// People in one of our bot's teams: any who were deactivated get their access and previous role
    /// back, and everyone known is marked as seen in <paramref name="teamName"/> (when given).
    /// </summary>
    /// <param name="why">What brought them back, after their name in the audit entry (e.g. "joined the team …").</param>
    /// <returns>How many were reactivated (tracked by <paramref name="db"/>, saved by the caller).</returns>
    public static async Task<int> ReactivateAsync(
        IncidentIoDbContext db, Guid organizationId, IReadOnlyCollection<Guid> objectIds, string why, DateTimeOffset now, CancellationToken cancellationToken,
        string? teamName = null)
    {
        var reactivated = 0;
        foreach (var chunk in objectIds.Distinct().Chunk(500))
        {
            var users = await db.Users.Where(u => u.OrganizationId == organizationId && (teamName != null || !u.IsActive) && chunk.Contains(u.MicrosoftObjectId))
                .ToListAsync(cancellationToken);
            foreach (var user in users)
            {
                if (teamName is not null)
                {
                    user.BotTeamName = ClippedText.Clip(teamName, Users.User.BotTeamNameMaxLength);
                }

                if (ActiveUserChanges.Reactivate(user, why, now, Actor) is { } audit)
                {
                    reactivated++;
                    db.AuditLog.Add(audit);
                }
            }
        }

        return reactivated;
    }
}

/// <summary>
/// Who loses access because they left <see cref="Team"/> (decided with Graph), and the Graph ids
/// of our bot's teams learned on the way.
/// </summary>
public sealed record RemovalPlan(BotTeam? Team, IReadOnlyList<Guid> Deactivate, IReadOnlyDictionary<Guid, Guid> LearnedGraphIds)
{
    public static readonly RemovalPlan Nothing = new(null, [], new Dictionary<Guid, Guid>());
}
