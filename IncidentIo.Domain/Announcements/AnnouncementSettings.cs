using Hangfire;
using IncidentIo.Domain.Audit;
using IncidentIo.Domain.Bot;
using IncidentIo.Domain.Bot.Connector;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Incidents;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Announcements;

/// <summary>
/// An organisation's announcement rules and the teams our bot is in. Anyone active in the
/// organisation may read them; only its Admins and Owners may change them or send a delivery
/// again — checked here against the database on every call, not only in the page.
/// </summary>
public sealed class AnnouncementSettings(
    IDbContextFactory<IncidentIoDbContext> dbFactory,
    IBackgroundJobClient jobs,
    BotConnector connector,
    TeamInstalls teamInstalls,
    TeamChannels teamChannels,
    IOptions<IncidentOptions> incidentOptions,
    TimeProvider clock)
{
    public const string NotAllowed = "Only an admin of your organisation can change announcements.";

    /// <summary>The rules and the teams with our bot, and whether the viewer may edit; null when the viewer is not an active member.</summary>
    public async Task<AnnouncementSettingsView?> LoadAsync(Guid organizationId, Guid viewerUserId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var viewer = await ActiveMemberAsync(db, organizationId, viewerUserId, ct);
        if (viewer is null)
        {
            return null;
        }

        await DefaultAnnouncementRule.EnsureAsync(dbFactory, organizationId, clock.GetUtcNow(), ct);
        var teams = await db.BotTeams.AsNoTracking().Where(t => t.OrganizationId == organizationId).OrderBy(t => t.Name).ToListAsync(ct);
        var rules = await db.Set<AnnouncementRule>().AsNoTracking().Where(r => r.OrganizationId == organizationId).OrderBy(r => r.Name).ToListAsync(ct);
        return new AnnouncementSettingsView(viewer.Role >= UserRole.Admin, teams, rules, incidentOptions.Value.EffectiveTypes);
    }

    /// <summary>
    /// The channels of one of our bot's teams, as Teams tells the bot (General first, named "General"
    /// where Teams leaves its name out); or why they could not be read (then the channel is typed).
    /// </summary>
    public async Task<(IReadOnlyList<BotChannel> Channels, string? Problem)> ChannelsAsync(Guid organizationId, Guid viewerUserId, Guid botTeamId, CancellationToken ct = default)
    {
        BotTeam? team;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            if (await ActiveMemberAsync(db, organizationId, viewerUserId, ct) is null)
            {
                return ([], NotAllowed);
            }

            team = await db.BotTeams.AsNoTracking().SingleOrDefaultAsync(t => t.Id == botTeamId && t.OrganizationId == organizationId, ct);
        }

        if (team is not { IsInstalled: true })
        {
            return ([], "Our app is not in that team.");
        }

        try
        {
            var channels = await connector.GetTeamChannelsAsync(new Uri(team.ServiceUrl), team.TeamThreadId, ct);
            return ([.. channels
                .Select(c => c.Id == team.TeamThreadId && string.IsNullOrWhiteSpace(c.Name) ? c with { Name = "General" } : c)
                .OrderBy(c => c.Id == team.TeamThreadId ? 0 : 1).ThenBy(c => c.Name, StringComparer.CurrentCulture)], null);
        }
        catch (BotConnectorException error)
        {
            return ([], $"Teams did not list the team's channels ({(int)error.Status} {error.Code}); enter the channel by hand.");
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException)
        {
            return ([], $"Teams could not be reached to list the team's channels ({error.GetType().Name}); enter the channel by hand.");
        }
    }

    /// <summary>For admins: the organisation's teams with whether our app is in each, and whether "add our app" works now.</summary>
    public async Task<(PersonTeamsAnswer Teams, bool CanInstall)> OtherTeamsAsync(Guid organizationId, Guid viewerUserId, CancellationToken ct = default)
    {
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            if (await ActiveMemberAsync(db, organizationId, viewerUserId, ct) is not { Role: >= UserRole.Admin })
            {
                return (PersonTeamsAnswer.Failed(NotAllowed), false);
            }
        }

        var teams = await teamInstalls.TenantTeamsAsync(organizationId, cancellationToken: ct);
        return (teams, teams.Teams.Any(t => !t.HasOurApp) && await teamInstalls.CanInstallAsync(organizationId, ct));
    }

    /// <summary>An admin adds our app to a team (Teams then tells our bot, which lists the team here).</summary>
    public async Task<TeamInstallOutcome> AddOurAppAsync(Guid organizationId, Guid actorUserId, Guid teamId, CancellationToken ct = default)
    {
        string actorName;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            if (await ActiveMemberAsync(db, organizationId, actorUserId, ct) is not { Role: >= UserRole.Admin } actor)
            {
                return new TeamInstallOutcome(false, NotAllowed);
            }

            actorName = AuditLogEntry.UserActor(actor.UserPrincipalName, actor.MicrosoftObjectId);
        }

        return await teamInstalls.InstallAsync(organizationId, teamId, actorName, ct);
    }

    /// <summary>Creates a rule (<paramref name="ruleId"/> null) or changes one.</summary>
    public async Task<RuleSaveResult> SaveAsync(Guid organizationId, Guid actorUserId, Guid? ruleId, AnnouncementRuleForm form, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(form);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var actor = await ActiveMemberAsync(db, organizationId, actorUserId, ct);
        if (actor is null || actor.Role < UserRole.Admin)
        {
            return Refused(NotAllowed);
        }

        var rule = ruleId is { } id ? await db.Set<AnnouncementRule>().SingleOrDefaultAsync(r => r.Id == id && r.OrganizationId == organizationId, ct) : null;
        if (ruleId is not null && rule is null)
        {
            return Refused("That rule no longer exists.");
        }

        if (rule is null && await RuleLimitRefusalAsync(db, organizationId, ct) is { } limit)
        {
            return Refused(limit);
        }

        var team = form.BotTeamId is { } teamId
            ? await db.BotTeams.SingleOrDefaultAsync(t => t.Id == teamId && t.OrganizationId == organizationId, ct)
            : null;
        var errors = Validate(form, team, incidentOptions.Value.EffectiveTypes);
        if (errors.Count > 0)
        {
            return new RuleSaveResult(null, errors);
        }

        var general = string.IsNullOrWhiteSpace(form.ChannelConversationId) || form.ChannelConversationId.Trim() == team!.TeamThreadId;
        if (!general && await ChannelRefusalAsync(db, organizationId, team!, form.ChannelConversationId!.Trim(), ct) is { } refusal)
        {
            return new RuleSaveResult(null, new Dictionary<string, string> { [nameof(form.ChannelConversationId)] = refusal });
        }

        var now = clock.GetUtcNow();
        if (rule is null)
        {
            rule = new AnnouncementRule { OrganizationId = organizationId, Name = "", ChannelConversationId = "", ChannelName = "", CreatedAt = now };
            db.Add(rule);
        }

        rule.Name = form.Name!.Trim();
        rule.BotTeamId = team!.Id;
        rule.ChannelConversationId = general ? team.TeamThreadId : form.ChannelConversationId!.Trim();
        rule.ChannelName = general ? "General" : form.ChannelName!.Trim();
        rule.OnDeclared = form.OnDeclared;
        rule.OnSeverityChanged = form.OnSeverityChanged;
        rule.OnStatusChanged = form.OnStatusChanged;
        rule.OnResolved = form.OnResolved;
        rule.MinimumSeverity = form.MinimumSeverity;
        var types = incidentOptions.Value.EffectiveTypes;
        rule.IncidentTypes = form.IncidentTypes.Select(t => types.First(k => string.Equals(k, t.Trim(), StringComparison.OrdinalIgnoreCase))).Distinct().ToList();
        rule.IncludeTest = form.IncludeTest;
        rule.IncludePrivate = form.IncludePrivate;
        rule.IsEnabled = form.IsEnabled;
        rule.UpdatedAt = now;
        db.AuditLog.Add(AuditLogEntry.Record(organizationId, now, AuditLogEntry.UserActor(actor.UserPrincipalName, actor.MicrosoftObjectId),
            ruleId is null ? "announcement-rule.created" : "announcement-rule.changed", $"{rule.Name} → {team.Name} › {rule.ChannelName}"));
        await db.SaveChangesAsync(ct);
        return new RuleSaveResult(rule, new Dictionary<string, string>());
    }

    /// <summary>Only a channel Microsoft lists for this team of this organisation: a typed id could name any conversation our bot is in.</summary>
    private async Task<string?> ChannelRefusalAsync(IncidentIoDbContext db, Guid organizationId, BotTeam team, string channelId, CancellationToken ct)
    {
        var tenantId = await db.Organizations.Where(o => o.Id == organizationId).Select(o => o.MicrosoftTenantId).SingleAsync(ct);
        var listing = await teamChannels.CheckAsync(tenantId, team, channelId, ct);
        return listing.IsListed ? null
            : listing.Problem ?? $"That is not one of the channels Microsoft lists for {team.Name}. Choose a channel from the list, or leave it empty for General.";
    }

    public static Dictionary<string, string> Validate(AnnouncementRuleForm form, BotTeam? team, IReadOnlyList<string> types)
    {
        var errors = new Dictionary<string, string>();
        if (string.IsNullOrWhiteSpace(form.Name))
        {
            errors[nameof(form.Name)] = "Give the rule a name.";
        }
        else if (form.Name.Trim().Length > AnnouncementRule.NameMaxLength)
        {
            errors[nameof(form.Name)] = $"The name can be at most {AnnouncementRule.NameMaxLength} characters.";
        }

        if (team is null)
        {
            errors[nameof(form.BotTeamId)] = "Choose a team our app is installed in.";
        }
        else if (!team.IsInstalled)
        {
            errors[nameof(form.BotTeamId)] = $"Our app was removed from {team.Name}: add it again, or choose another team.";
        }

        if (!string.IsNullOrWhiteSpace(form.ChannelConversationId) && form.ChannelConversationId.Trim() != team?.TeamThreadId)
        {
            var channel = form.ChannelConversationId.Trim();
            if (!channel.StartsWith("19:", StringComparison.Ordinal) || !channel.Contains("@thread", StringComparison.Ordinal)
                || channel.Length > BotTeam.ThreadIdMaxLength || channel.Any(char.IsWhiteSpace))
            {
                errors[nameof(form.ChannelConversationId)] = "A channel id looks like 19:…@thread.tacv2 (in Teams: the channel's … menu → Get link to channel). Leave it empty for the General channel.";
            }

            if (string.IsNullOrWhiteSpace(form.ChannelName))
            {
                errors[nameof(form.ChannelName)] = "Name the channel, as people see it in Teams.";
            }
            else if (form.ChannelName.Trim().Length > AnnouncementRule.ChannelNameMaxLength)
            {
                errors[nameof(form.ChannelName)] = $"The channel name can be at most {AnnouncementRule.ChannelNameMaxLength} characters.";
            }
        }

        if (!(form.OnDeclared || form.OnSeverityChanged || form.OnStatusChanged || form.OnResolved))
        {
            errors[nameof(form.OnDeclared)] = "Choose at least one kind of update to announce.";
        }

        if (!Enum.IsDefined(form.MinimumSeverity))
        {
            errors[nameof(form.MinimumSeverity)] = "Choose a severity from SEV1 to SEV4.";
        }

        var unknown = form.IncidentTypes.Where(t => !types.Contains(t.Trim(), StringComparer.OrdinalIgnoreCase)).ToList();
        if (unknown.Count > 0)
        {
            errors[nameof(form.IncidentTypes)] = $"Unknown incident type: {string.Join(", ", unknown)}. Choose from {string.Join(", ", types)}.";
        }

        return errors;
    }

    /// <returns>An error for the admin, or null when done.</returns>
    public async Task<string?> DeleteAsync(Guid organizationId, Guid actorUserId, Guid ruleId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var actor = await ActiveMemberAsync(db, organizationId, actorUserId, ct);
        if (actor is null || actor.Role < UserRole.Admin)
        {
            return NotAllowed;
        }

        var rule = await db.Set<AnnouncementRule>().SingleOrDefaultAsync(r => r.Id == ruleId && r.OrganizationId == organizationId, ct);
        if (rule is null)
        {
            return "That rule no longer exists.";
        }

        db.Remove(rule);
        db.AuditLog.Add(AuditLogEntry.Record(organizationId, clock.GetUtcNow(), AuditLogEntry.UserActor(actor.UserPrincipalName, actor.MicrosoftObjectId), "announcement-rule.deleted", rule.Name));
        await db.SaveChangesAsync(ct);
        return null;
    }

    /// <returns>An error for the admin, or null when done.</returns>
    public async Task<string?> SetEnabledAsync(Guid organizationId, Guid actorUserId, Guid ruleId, bool enabled, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var actor = await ActiveMemberAsync(db, organizationId, actorUserId, ct);
        if (actor is null || actor.Role < UserRole.Admin)
        {
            return NotAllowed;
        }

        var now = clock.GetUtcNow();
        var changed = await db.Set<AnnouncementRule>().Where(r => r.Id == ruleId && r.OrganizationId == organizationId)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.IsEnabled, enabled).SetProperty(r => r.UpdatedAt, now), ct);
        return changed == 1 ? null : "That rule no longer exists.";
    }

    /// <summary>
    /// "Send again" for a delivery that failed for good, could not reach its person, or whose
    /// outcome is unknown (which may post a second time: the admin decides).
    /// </summary>
    /// <returns>An error for the admin, or null when queued.</returns>
    public async Task<string?> SendAgainAsync(Guid organizationId, Guid actorUserId, Guid deliveryId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var actor = await ActiveMemberAsync(db, organizationId, actorUserId, ct);
        if (actor is null || actor.Role < UserRole.Admin)
        {
            return "Only an admin of your organisation can send an announcement again.";
        }

        var now = clock.GetUtcNow();
        var reset = await db.Set<AnnouncementDelivery>()
            .Where(d => d.Id == deliveryId && d.OrganizationId == organizationId
                        && (d.State == DeliveryState.OutcomeUnknown || d.State == DeliveryState.Unreachable || (d.State == DeliveryState.Failed && d.NextAttemptAt == null)))
            .ExecuteUpdateAsync(s => s
                .SetProperty(d => d.State, DeliveryState.Pending)
                .SetProperty(d => d.Attempts, 0)
                .SetProperty(d => d.NextAttemptAt, (DateTimeOffset?)null)
                .SetProperty(d => d.WaitingSince, (DateTimeOffset?)null)
                .SetProperty(d => d.UpdatedAt, now), ct);
        if (reset == 0)
        {
            return "That announcement is not one to send again (it was sent, or is still being tried).";
        }

        db.AuditLog.Add(AuditLogEntry.Record(organizationId, now, AuditLogEntry.UserActor(actor.UserPrincipalName, actor.MicrosoftObjectId), "announcement.send-again", deliveryId.ToString()));
        await db.SaveChangesAsync(ct);
        jobs.Enqueue<AnnouncementJobs>(j => j.DeliverAsync(deliveryId, CancellationToken.None));
        return null;
    }

    /// <summary>Why the organisation's plan allows no further rule, or null when it does.</summary>
    private static async Task<string?> RuleLimitRefusalAsync(IncidentIoDbContext db, Guid organizationId, CancellationToken ct)
    {
        var plan = PlanFeatures.Of(await db.Organizations.Where(o => o.Id == organizationId).Select(o => o.PlanCode).SingleAsync(ct));
        return plan.MaxAnnouncementRules is { } max && await db.Set<AnnouncementRule>().CountAsync(r => r.OrganizationId == organizationId, ct) >= max
            ? plan.Refusal($"More than {max} announcement rule{(max == 1 ? "" : "s")} need", Plan.Team)
            : null;
    }

    private static Task<User?> ActiveMemberAsync(IncidentIoDbContext db, Guid organizationId, Guid userId, CancellationToken ct) =>
        db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == userId && u.OrganizationId == organizationId && u.IsActive, ct);

    private static RuleSaveResult Refused(string message) => new(null, new Dictionary<string, string> { [""] = message });
}

public sealed record AnnouncementSettingsView(bool CanEdit, IReadOnlyList<BotTeam> Teams, IReadOnlyList<AnnouncementRule> Rules, IReadOnlyList<string> IncidentTypes);
