using Hangfire;
using IncidentIo.Domain.ActiveUsers;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.People;
using IncidentIo.Domain.Reachability;
using IncidentIo.Domain.TeamsApp;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using User = IncidentIo.Domain.Users.User;

namespace IncidentIo.Domain.Bot.Inbound;

/// <summary>
/// Acts on the activities Teams sends our bot, once their token has been checked: where the
/// tenant's connector is, the teams our bot is installed in (and their names), whether our app is
/// installed for each person (and the bot's 1:1 conversation with them), and people joining or
/// leaving our bot's teams. Each activity's effects are written in one transaction together with
/// its id, so a delivery Microsoft repeats is recognised and has no second effect. Nothing here asks
/// Graph: slow work (people leaving a team) is queued after the activity is recorded.
/// </summary>
public sealed class InboundActivities(
    IDbContextFactory<IncidentIoDbContext> dbFactory,
    BotMessages messages,
    IBackgroundJobClient jobs,
    IOptions<TeamsAppOptions> teamsApp,
    TimeProvider clock,
    ILogger<InboundActivities> logger)
{
    public const string EventTrigger = "bot-event";

    private string BotAccountId => $"28:{teamsApp.Value.BotId}";

    public async Task<InboundOutcome> HandleAsync(BotActivity activity, CancellationToken cancellationToken)
    {
        if (activity.Type is not ("installationUpdate" or "conversationUpdate" or "message"))
        {
            return InboundOutcome.IgnoredType;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var organization = activity.TenantId is { } tenantId
            ? await db.Organizations.SingleOrDefaultAsync(o => o.MicrosoftTenantId == tenantId, cancellationToken)
            : null;
        if (organization is null)
        {
            logger.LogWarning("Bot activity {Type} for tenant {Tenant}, which is no organisation of ours: acknowledged, nothing done", activity.Type, activity.TenantId);
            return InboundOutcome.UnknownTenant;
        }

        var conversationId = ClippedText.Clip(activity.Conversation!.Id!, BotReceivedActivity.ConversationIdMaxLength);
        var activityId = activity.Id is { Length: > 0 } id ? ClippedText.Clip(id, BotReceivedActivity.ActivityIdMaxLength) : null;
        if (activityId is not null && await db.BotReceivedActivities.AnyAsync(r => r.ConversationId == conversationId && r.ActivityId == activityId, cancellationToken))
        {
            return InboundOutcome.Duplicate;
        }

        var now = clock.GetUtcNow();
        BotTeam? teamAfter = null;
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            if (activityId is not null)
            {
                db.BotReceivedActivities.Add(new BotReceivedActivity
                {
                    OrganizationId = organization.Id, ConversationId = conversationId, ActivityId = activityId,
                    Type = ClippedText.Clip(activity.Type, BotReceivedActivity.TypeMaxLength), ReceivedAt = now,
                });
                try
                {
                    await db.SaveChangesAsync(cancellationToken);
                }
                catch (DbUpdateException)
                {
                    if (await WasReceivedAsync(conversationId, activityId, cancellationToken))
                    {
                        return InboundOutcome.Duplicate; // the same delivery, handled by another request a moment ago
                    }

                    throw;
                }
            }

            if (organization.BotServiceUrl != activity.ServiceUrl)
            {
                organization.BotServiceUrl = ClippedText.Clip(activity.ServiceUrl!, BotTeam.ServiceUrlMaxLength);
                organization.UpdatedAt = now;
            }

            if (activity.IsTeamScope && TeamThreadId(activity) is { } teamThreadId)
            {
                teamAfter = await ApplyTeamEventAsync(db, organization, activity, teamThreadId, now, cancellationToken);
            }
            else if (activity.IsPersonalScope)
            {
                await ApplyPersonalEventAsync(db, organization, activity, now, cancellationToken);
            }

            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        if (activity.Type == "message")
        {
            await messages.HandOnAsync(organization, activity, cancellationToken);
        }
        else if (teamAfter is { IsInstalled: true } team)
        {
            QueueTeamWork(organization.Id, team, activity);
            await QueueRemovalsAsync(db, organization.Id, team, activity, cancellationToken);
        }

        // Received ids are forgotten by the retention job (Retention:BotActivities), not here.
        return InboundOutcome.Handled;
    }

    /// <summary>
    /// After our app arrived in a team: its name and Graph id when Teams left them out, and the read of
    /// its members (they become people of the organisation). People joining it: those we do not know are added.
    /// </summary>
    private void QueueTeamWork(Guid organizationId, BotTeam team, BotActivity activity)
    {
        var threadId = team.TeamThreadId;
        if (BotAddedToTeam(activity))
        {
            if (activity.ChannelData?.Team?.Name is not { Length: > 0 } || team.GraphTeamId is null)
            {
                // The refresh asks for the roster read once it has learned the Graph id.
                jobs.Enqueue<BotTeamDetailsRefresh>(r => r.RefreshAsync(organizationId, threadId, CancellationToken.None));
            }
            else if (team.GraphTeamId is { } graphId)
            {
                var name = team.Name;
                jobs.Enqueue<TeamRosters>(r => r.RequestAsync(organizationId, graphId, name, TeamRosters.BotInstalledTrigger, CancellationToken.None));
            }
        }
        else if (activity.Type == "conversationUpdate" && People(activity.MembersAdded) is { Count: > 0 } joined)
        {
            var objectIds = joined.Distinct().ToArray();
            jobs.Enqueue<TeamRosters>(r => r.AddJoinedAsync(organizationId, threadId, objectIds, CancellationToken.None));
        }
    }

    /// <summary>
    /// People who left one of our bot's teams: those of them who are active members are looked at by a
    /// job (<see cref="TeamMemberRemovals"/>), which asks Graph about each. Queued after the activity is
    /// recorded, so a repeated delivery queues nothing again; the request itself never waits on Graph.
    /// </summary>
    private async Task QueueRemovalsAsync(IncidentIoDbContext db, Guid organizationId, BotTeam team, BotActivity activity, CancellationToken cancellationToken)
    {
        if (RemovedPeople(activity) is not { Count: > 0 } left)
        {
            return;
        }

        var active = await db.Users.AsNoTracking()
            .Where(u => u.OrganizationId == organizationId && u.IsActive && left.Contains(u.MicrosoftObjectId))
            .Select(u => u.MicrosoftObjectId).ToArrayAsync(cancellationToken);
        if (active.Length > 0)
        {
            var threadId = team.TeamThreadId;
            jobs.Enqueue<TeamMemberRemovals>(r => r.ApplyAsync(organizationId, threadId, active, CancellationToken.None));
        }
    }

    private bool BotAddedToTeam(BotActivity activity) =>
        activity.Type == "installationUpdate" ? activity.Action is "add" or "add-upgrade" : HasBot(activity.MembersAdded);

    private async Task<BotTeam?> ApplyTeamEventAsync(
        IncidentIoDbContext db, Organization organization, BotActivity activity, string teamThreadId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var team = await db.BotTeams.SingleOrDefaultAsync(t => t.OrganizationId == organization.Id && t.TeamThreadId == teamThreadId, cancellationToken);
        var botAdded = BotAddedToTeam(activity);
        var botRemoved = activity.Type == "installationUpdate" ? activity.Action is "remove" or "remove-upgrade" : HasBot(activity.MembersRemoved);
        var info = activity.ChannelData?.Team;

        if (botAdded)
        {
            if (team is null)
            {
                team = new BotTeam
                {
                    OrganizationId = organization.Id, TeamThreadId = teamThreadId,
                    Name = ClippedText.Clip(info?.Name is { Length: > 0 } name ? name : teamThreadId, BotTeam.NameMaxLength),
                    ServiceUrl = activity.ServiceUrl!, InstalledAt = now,
                };
                db.BotTeams.Add(team);
                logger.LogInformation("Our bot was installed in team {Thread} of organisation {Organization}", teamThreadId, organization.Id);
            }
            else if (team.RemovedAt is not null)
            {
                team.RemovedAt = null;
                team.InstalledAt = now;
            }
        }
        else if (botRemoved && team is { RemovedAt: null })
        {
            team.RemovedAt = now;
            logger.LogInformation("Our bot was removed from team {Thread} of organisation {Organization}", teamThreadId, organization.Id);
        }

        if (team is null)
        {
            logger.LogInformation("Bot activity {Type} for team {Thread}, which we do not know as one of our bot's teams: nothing to update", activity.Type, teamThreadId);
            return null;
        }

        if (info?.Name is { Length: > 0 } teamName && (activity.ChannelData?.EventType == "teamRenamed" || botAdded))
        {
            team.Name = ClippedText.Clip(teamName, BotTeam.NameMaxLength);
        }

        if (Guid.TryParse(info?.AadGroupId, out var graphId))
        {
            team.GraphTeamId = graphId;
        }

        team.ServiceUrl = ClippedText.Clip(activity.ServiceUrl!, BotTeam.ServiceUrlMaxLength);
        team.UpdatedAt = now;

        if (team.IsInstalled && People(activity.MembersAdded) is { Count: > 0 } joined)
        {
            await TeamMembershipChanges.ReactivateAsync(db, team.OrganizationId, joined, $"joined the team \"{team.Name}\", where IncidentIo is installed", now, cancellationToken, teamName: team.Name);
        }

        return team;
    }

    /// <summary>Our app installed for or removed from one person (their personal scope): the bot's 1:1 conversation with them.</summary>
    private async Task ApplyPersonalEventAsync(IncidentIoDbContext db, Organization organization, BotActivity activity, DateTimeOffset now, CancellationToken cancellationToken)
    {
        bool installed;
        if (activity.Type == "installationUpdate" && activity.Action is "add" or "add-upgrade" or "remove" or "remove-upgrade")
        {
            installed = activity.Action is "add" or "add-upgrade";
        }
        else if (activity.Type == "conversationUpdate" && (HasBot(activity.MembersAdded) || HasBot(activity.MembersRemoved)))
        {
            installed = HasBot(activity.MembersAdded);
        }
        else
        {
            return;
        }

        var person = People(activity.MembersAdded).Concat(People(activity.MembersRemoved)).FirstOrDefault() is var member && member != Guid.Empty
            ? member
            : activity.From?.ObjectId;
        var user = person is { } objectId
            ? await db.Users.SingleOrDefaultAsync(u => u.OrganizationId == organization.Id && u.MicrosoftObjectId == objectId, cancellationToken)
            : null;
        if (user is null)
        {
            logger.LogInformation("Our app was {Change} for someone organisation {Organization} does not know ({ObjectId}): nothing to update",
                installed ? "installed" : "removed", organization.Id, person);
            return;
        }

        MarkInstallation(db, user, installed, installed ? activity.Conversation!.Id : null, now);
    }

    /// <summary>Teams told us: recorded as the user's state (verified now when installed), with an entry in their history when it changed.</summary>
    private static void MarkInstallation(IncidentIoDbContext db, User user, bool installed, string? conversationId, DateTimeOffset now)
    {
        var installation = user.AppInstallation;
        var state = installed ? InstallationState.Installed : InstallationState.NotInstalled;
        var changed = installation.State != state || user.BotConversationId != conversationId;
        if (installation.State != state)
        {
            installation.ChangedAt = now;
        }

        installation.State = state;
        installation.Attempts = 0;
        installation.NextAttemptAt = null;
        installation.LastStatus = null;
        installation.LastErrorCode = null;
        installation.LastError = null;
        if (installed)
        {
            installation.VerifiedAt = now;
        }

        // Cleared on removal: a send to that chat would now be refused; Teams gives the same id back on a new install.
        user.BotConversationId = conversationId is null ? null : ClippedText.Clip(conversationId, Users.User.BotConversationIdMaxLength);
        if (changed)
        {
            db.AppInstallationAttempts.Add(new AppInstallationAttempt
            {
                UserId = user.Id,
                OrganizationId = user.OrganizationId,
                At = now,
                Action = installed ? "bot-installed" : "bot-removed",
                Trigger = EventTrigger,
                Message = installed ? "Teams told our bot that IncidentIo was installed for this person." : "Teams told our bot that IncidentIo was removed for this person.",
                Outcome = state,
            });
        }
    }

    private bool HasBot(List<ChannelAccount>? members) =>
        members?.Any(m => string.Equals(m.Id, BotAccountId, StringComparison.OrdinalIgnoreCase)) == true;

    /// <summary>The people (not bots) in a members list, by Entra object id.</summary>
    private static List<Guid> People(List<ChannelAccount>? members) =>
        [.. (members ?? []).Where(m => m.Id?.StartsWith("28:", StringComparison.Ordinal) != true).Select(m => m.ObjectId).OfType<Guid>()];

    private static List<Guid> RemovedPeople(BotActivity activity) =>
        activity.Type == "conversationUpdate" && activity.IsTeamScope ? People(activity.MembersRemoved) : [];

    /// <summary>The bot-facing team id: the General channel's thread id (channelData.team.id), else the conversation's thread.</summary>
    private static string? TeamThreadId(BotActivity activity)
    {
        var id = activity.ChannelData?.Team?.Id is { Length: > 0 } team ? team : activity.Conversation?.Id?.Split(';')[0];
        return id is { Length: > 0 } ? ClippedText.Clip(id, BotTeam.ThreadIdMaxLength) : null;
    }

    private async Task<bool> WasReceivedAsync(string conversationId, string activityId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.BotReceivedActivities.AnyAsync(r => r.ConversationId == conversationId && r.ActivityId == activityId, cancellationToken);
    }
}

public enum InboundOutcome
{
    Handled,

    /// <summary>Already received (Microsoft delivered it again): acknowledged, nothing done.</summary>
    Duplicate,

    /// <summary>A type our bot does not act on (Teams adds new ones at any time): acknowledged.</summary>
    IgnoredType,

    /// <summary>A tenant that is no organisation of ours: acknowledged and logged.</summary>
    UnknownTenant,
}
