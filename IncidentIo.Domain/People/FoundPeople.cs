using IncidentIo.Domain.ActiveUsers;
using IncidentIo.Domain.Audit;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Reachability;
using Microsoft.EntityFrameworkCore;
using User = IncidentIo.Domain.Users.User;

namespace IncidentIo.Domain.People;

/// <summary>
/// Makes the people of the teams where our bot is installed known to their organisation: each one
/// we did not know becomes a Viewer (a free seat), audited as found in that team, and, once the
/// global permissions are granted, due for the per-user install of our app. Known people are only
/// marked as seen in that team (<see cref="User.BotTeamName"/>). Nobody is removed here: leaving is
/// the sweep's business.
/// </summary>
public static class FoundPeople
{
    public const string InstallTrigger = "found-in-team";

    /// <summary>Adds (tracked by <paramref name="db"/>, saved by the caller) the members not known yet.</summary>
    /// <returns>How many were added.</returns>
    public static async Task<int> AddAsync(
        IncidentIoDbContext db, Guid organizationId, bool installForThem, IReadOnlyCollection<FoundMember> found, string actor, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var added = 0;
        foreach (var chunk in found.DistinctBy(f => f.Member.ObjectId).Chunk(500))
        {
            var ids = chunk.Select(f => f.Member.ObjectId).ToList();
            var knownUsers = await db.Users.Where(u => u.OrganizationId == organizationId && ids.Contains(u.MicrosoftObjectId)).ToListAsync(cancellationToken);
            var known = knownUsers.Select(u => u.MicrosoftObjectId).ToHashSet();
            foreach (var user in knownUsers)
            {
                // Seen in a team with our bot: Teams lets the bot message them even without an install of their own.
                user.BotTeamName = ClippedText.Clip(chunk.First(f => f.Member.ObjectId == user.MicrosoftObjectId).TeamName, User.BotTeamNameMaxLength);
            }

            foreach (var (member, teamName) in chunk.Where(f => !known.Contains(f.Member.ObjectId)))
            {
                var name = member.DisplayName is { Length: > 0 } displayName ? displayName : member.Email is { Length: > 0 } email ? email : member.ObjectId.ToString();
                var user = new User
                {
                    OrganizationId = organizationId,
                    MicrosoftObjectId = member.ObjectId,
                    DisplayName = ClippedText.Clip(name, User.DisplayNameMaxLength),
                    // Graph lists a member's e-mail, not their sign-in name; for most people they are the same.
                    UserPrincipalName = member.Email is { Length: > 0 } mail ? ClippedText.Clip(mail, User.UserPrincipalNameMaxLength) : null,
                    CreatedAt = now,
                    BotTeamName = ClippedText.Clip(teamName, User.BotTeamNameMaxLength),
                };
                if (installForThem)
                {
                    user.AppInstallation.State = InstallationState.Pending;
                    user.AppInstallation.NextAttemptAt = now;
                }

                db.Users.Add(user);
                db.AuditLog.Add(AuditLogEntry.Record(organizationId, now, actor, "user.found-in-team",
                    ClippedText.Clip($"{user.UserPrincipalName ?? user.DisplayName} found in the team \"{teamName}\", where IncidentIo is installed: added as a Viewer.", 2000)));
                added++;
            }
        }

        return added;
    }

    /// <summary>
    /// Marks known people as seen in a team with our bot (<see cref="User.BotTeamName"/>), many at once:
    /// on PostgreSQL one UPDATE per 10,000 people joined to the pairs sent as two arrays, elsewhere
    /// through the change tracker 500 at a time. Announcing the change is the caller's.
    /// </summary>
    /// <returns>How many people were updated.</returns>
    public static async Task<int> MarkSeenAsync(
        IncidentIoDbContext db, Guid organizationId, IReadOnlyCollection<(Guid ObjectId, string TeamName)> seen, CancellationToken cancellationToken)
    {
        var updated = 0;
        if (db.Database.IsNpgsql())
        {
            foreach (var chunk in seen.Chunk(10_000))
            {
                var ids = chunk.Select(s => s.ObjectId).ToArray();
                var names = chunk.Select(s => s.TeamName).ToArray();
                updated += await db.Database.ExecuteSqlAsync($"""
                    UPDATE users AS u SET bot_team_name = seen.team_name
                    FROM unnest({ids}, {names}) AS seen(object_id, team_name)
                    WHERE u.organization_id = {organizationId} AND u.microsoft_object_id = seen.object_id
                    """, cancellationToken);
            }

            return updated;
        }

        foreach (var chunk in seen.Chunk(500))
        {
            var teamOf = chunk.DistinctBy(s => s.ObjectId).ToDictionary(s => s.ObjectId, s => s.TeamName);
            var ids = teamOf.Keys.ToList();
            foreach (var user in await db.Users.Where(u => u.OrganizationId == organizationId && ids.Contains(u.MicrosoftObjectId)).ToListAsync(cancellationToken))
            {
                user.BotTeamName = teamOf[user.MicrosoftObjectId];
            }

            updated += await db.SaveChangesAsync(cancellationToken);
            db.ChangeTracker.Clear();
        }

        return updated;
    }
}

/// <summary>A member of a team where our bot is installed, and that team's name.</summary>
public sealed record FoundMember(TeamMember Member, string TeamName);
