using System.Net;
using Hangfire;
using IncidentIo.Domain.Bot.Connector;
using IncidentIo.Domain.Changes;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Incidents;
using IncidentIo.Domain.Leasing;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.Reachability;
using IncidentIo.Domain.TeamsApp;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Announcements;

/// <summary>
/// Sends one announcement delivery — a card to a channel, or the lead's DM — at most once: the
/// worker whose lease moved it to "sending" posts it, and writes the outcome with the lease given
/// back (sent, failed and rescheduled, waiting for the lead's install, unreachable, skipped, or of
/// unknown outcome when Teams' answer never came).
/// </summary>
public sealed class DeliverySender(
    IDbContextFactory<IncidentIoDbContext> dbFactory,
    BotConnector connector,
    AppInstallationRequests installs,
    TeamChannels teamChannels,
    IBackgroundJobClient jobs,
    IOptions<AnnouncementOptions> options,
    IOptions<TeamsAppOptions> teamsApp,
    TimeProvider clock,
    ChangeRecorder changes,
    ILogger<DeliverySender> logger)
{
    private const string Actor = AnnouncementJobs.Actor;

    private readonly AnnouncementOptions settings = options.Value;

    /// <summary>Held while sending, renewed beside the send: a delivery still "sending" after its lease ran out belonged to a worker that stopped.</summary>
    public RowLease<AnnouncementDelivery> Lease { get; } = new(dbFactory, clock, options.Value.LeaseDuration, d => d.LeaseUntil, d => d.LeaseOwner);

    /// <summary>Sends the delivery if it is due and no other worker holds it; never sends one already sent.</summary>
    public async Task DeliverAsync(Guid deliveryId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        AnnouncementDelivery? delivery;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            delivery = await db.Set<AnnouncementDelivery>().AsNoTracking().SingleOrDefaultAsync(d => d.Id == deliveryId, cancellationToken);
        }

        if (delivery is null || !IsDue(delivery, now))
        {
            return;
        }

        if (delivery.State == DeliveryState.WaitingForInstall && !await InstallSettledAsync(delivery, now, cancellationToken))
        {
            return;
        }

        // Taken from the state just read, in one conditional UPDATE: of two workers, one gets the row.
        var (state, next) = (delivery.State, delivery.NextAttemptAt);
        await using var hold = await Lease.TakeAsync(d => d.Id == deliveryId && d.State == state && d.NextAttemptAt == next, cancellationToken, s => s
            .SetProperty(d => d.State, DeliveryState.Sending)
            .SetProperty(d => d.Attempts, d => d.Attempts + 1)
            .SetProperty(d => d.UpdatedAt, now));
        if (hold is null)
        {
            return; // another worker has it, or it changed since we read it
        }

        await RecordChangeAsync(delivery.OrganizationId, cancellationToken);
        try
        {
            var (activityId, conversationId, shownAs) = await SendAsync(delivery, hold.Token);
            await FinishAsync(hold, delivery, s => s
                .SetProperty(d => d.State, DeliveryState.Sent)
                .SetProperty(d => d.TargetName, d => shownAs ?? d.TargetName)
                .SetProperty(d => d.ActivityId, activityId)
                .SetProperty(d => d.ConversationId, conversationId)
                .SetProperty(d => d.SentAt, clock.GetUtcNow())
                .SetProperty(d => d.NextAttemptAt, (DateTimeOffset?)null)
                .SetProperty(d => d.LastError, (string?)null), alsoIfUnknown: true);
        }
        catch (BotConnectorException e) when (delivery.Kind == DeliveryKind.LeadMessage && e.Status == HttpStatusCode.Forbidden)
        {
            await WaitForInstallAsync(hold, delivery, e, cancellationToken);
        }
        catch (BotConnectorException e)
        {
            // The exception's own text: "Teams answered …", or why it was never sent.
            await FailAsync(hold, delivery, e.IsTransient, (int)e.Status, e.Code, e.Message, e.CorrelationId, e.RetryAfter);
        }
        catch (HttpRequestException e) when (e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError)
        {
            // Nothing reached Teams: safe to try again.
            await FailAsync(hold, delivery, transient: true, null, "ConnectionError", $"Could not reach Teams: {e.Message}", null, null);
        }
        catch (ChannelNotListedException e)
        {
            logger.LogWarning("Delivery {DeliveryId} was not sent: {Reason}", deliveryId, e.Message);
            await FinishAsync(hold, delivery, s => s.SetProperty(d => d.State, DeliveryState.Skipped).SetProperty(d => d.LastError, ClippedText.Clip(e.Message, AnnouncementDelivery.ErrorMaxLength)));
        }
        catch (ChannelUnverifiedException e)
        {
            await FailAsync(hold, delivery, transient: true, null, "ChannelNotVerified", e.Message, null, null);
        }
        catch (RecipientUnreachableException e)
        {
            await FinishAsync(hold, delivery, s => s.SetProperty(d => d.State, DeliveryState.Unreachable).SetProperty(d => d.LastError, ClippedText.Clip(e.Message, AnnouncementDelivery.ErrorMaxLength)));
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The request may have reached Teams (a timeout, a connection dropped mid-answer): the
            // post may exist. Not sent again by itself; see DeliveryState.OutcomeUnknown.
            logger.LogWarning(e, "Delivery {DeliveryId} ended without an answer from Teams", deliveryId);
            await FinishAsync(hold, delivery, s => s
                .SetProperty(d => d.State, DeliveryState.OutcomeUnknown)
                .SetProperty(d => d.LastError, ClippedText.Clip($"No answer from Teams ({e.GetType().Name}: {e.Message}); the message may or may not have been posted. Check the channel, then send again if it is missing.", AnnouncementDelivery.ErrorMaxLength)));
        }
    }

    private static bool IsDue(AnnouncementDelivery delivery, DateTimeOffset now) => delivery.State switch
    {
        DeliveryState.Pending => true,
        DeliveryState.Failed or DeliveryState.WaitingForInstall => delivery.NextAttemptAt <= now,
        _ => false,
    };

    private async Task RecordChangeAsync(Guid organizationId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await changes.RecordAsync(db, DataChange.Of(ChangeTopic.Incidents, organizationId), cancellationToken);
    }

    /// <returns>The post, its conversation, and for a DM reaching someone through a team, the delivery's name saying so.</returns>
    private async Task<(string ActivityId, string ConversationId, string? ShownAs)> SendAsync(AnnouncementDelivery delivery, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var incident = await db.Set<Incident>().AsNoTracking().SingleAsync(i => i.Id == delivery.IncidentId, cancellationToken);
        var update = await db.Set<IncidentUpdate>().AsNoTracking().SingleAsync(u => u.Id == delivery.IncidentUpdateId, cancellationToken);
        var lead = await db.Users.SingleAsync(u => u.Id == incident.LeadUserId, cancellationToken);
        var open = new Uri($"https://{teamsApp.Value.PortalHost}/incidents/{incident.Id}");
        if (delivery.Kind == DeliveryKind.ChannelCard)
        {
            await EnsureChannelListedAsync(db, delivery, cancellationToken);
            var card = AnnouncementCard.ForChannel(incident, update.Kind, lead.DisplayName, open);
            return (await connector.SendAsync(new Uri(delivery.ServiceUrl!), delivery.ConversationId!, card, cancellationToken), delivery.ConversationId!, null);
        }

        var recipient = await db.Users.Include(u => u.Organization).SingleAsync(u => u.Id == delivery.RecipientUserId, cancellationToken);
        var serviceUrl = recipient.Organization!.BotServiceUrl
                         ?? await db.BotTeams.Where(t => t.OrganizationId == recipient.OrganizationId && t.RemovedAt == null).Select(t => t.ServiceUrl).FirstOrDefaultAsync(cancellationToken)
                         ?? throw new RecipientUnreachableException("Teams has not yet told us where to reach your organisation (our bot has had no message from it): add our app to a team first.");
        var conversationId = recipient.BotConversationId;
        if (conversationId is null)
        {
            // Teams answers the same 1:1 conversation every time; keep it for next time.
            conversationId = await connector.CreatePersonalConversationAsync(new Uri(serviceUrl), recipient.Organization.MicrosoftTenantId, recipient.MicrosoftObjectId, cancellationToken);
            recipient.BotConversationId = conversationId;
            await db.SaveChangesAsync(cancellationToken);
        }

        var message = AnnouncementCard.ForLead(incident, lead.DisplayName, open);
        var sent = await connector.SendAsync(new Uri(serviceUrl), conversationId, message, cancellationToken);
        // Without a confirmed install of their own, Teams let it through because they are in a team with our bot.
        var shownAs = recipient.AppInstallation.State != InstallationState.Installed && recipient.BotTeamName is { } team
            ? ClippedText.Clip($"{recipient.DisplayName} (through the team \"{team}\", where IncidentIo is installed)", AnnouncementDelivery.TargetNameMaxLength)
            : null;
        return (sent, conversationId, shownAs);
    }

    /// <summary>
    /// Before each post: the channel must still be one Microsoft lists for a team of this organisation
    /// that a rule names it under (a channel deleted, or a rule made before this check, is not trusted).
    /// </summary>
    private async Task EnsureChannelListedAsync(IncidentIoDbContext db, AnnouncementDelivery delivery, CancellationToken cancellationToken)
    {
        var channel = delivery.ConversationId!;
        var tenantId = await db.Organizations.Where(o => o.Id == delivery.OrganizationId).Select(o => o.MicrosoftTenantId).SingleAsync(cancellationToken);
        var ruleTeams = await db.Set<AnnouncementRule>().Where(r => r.OrganizationId == delivery.OrganizationId && r.ChannelConversationId == channel)
            .Select(r => r.BotTeamId).ToListAsync(cancellationToken);
        var teams = await db.BotTeams.AsNoTracking()
            .Where(t => t.OrganizationId == delivery.OrganizationId && t.RemovedAt == null && (ruleTeams.Contains(t.Id) || t.TeamThreadId == channel))
            .ToListAsync(cancellationToken);
        string? problem = null;
        foreach (var team in teams)
        {
            var listing = await teamChannels.CheckAsync(tenantId, team, channel, cancellationToken);
            if (listing.IsListed)
            {
                return;
            }

            problem ??= listing.Problem;
        }

        if (problem is not null)
        {
            throw new ChannelUnverifiedException($"Could not check the channel before posting: {problem}");
        }

        throw new ChannelNotListedException(
            $"Not sent: {delivery.TargetName} is not a channel Microsoft lists for your organisation's team (it may have been deleted). Check the announcement rule's channel.");
    }

    /// <summary>The lead does not have our app: ask the Reachability module to install it, and look again later.</summary>
    private async Task WaitForInstallAsync(LeaseHold<AnnouncementDelivery> hold, AnnouncementDelivery delivery, BotConnectorException e, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var next = now + settings.InstallCheckInterval;
        await FinishAsync(hold, delivery, s => s
            .SetProperty(d => d.State, DeliveryState.WaitingForInstall)
            .SetProperty(d => d.WaitingSince, d => d.WaitingSince ?? now)
            .SetProperty(d => d.NextAttemptAt, next)
            .SetProperty(d => d.LastStatus, (int)e.Status)
            .SetProperty(d => d.LastErrorCode, e.Code)
            .SetProperty(d => d.CorrelationId, e.CorrelationId)
            .SetProperty(d => d.LastError, ClippedText.Clip($"Our app is not installed for this person ({e.Code}); installing it for them.", AnnouncementDelivery.ErrorMaxLength)));
        if (delivery.WaitingSince is null)
        {
            await installs.InstallAsync(delivery.OrganizationId, delivery.RecipientUserId!.Value, "dm-needed", Actor, cancellationToken);
        }

        jobs.Schedule<AnnouncementJobs>(j => j.DeliverAsync(delivery.Id, CancellationToken.None), next);
    }

    /// <summary>
    /// A DM waiting for its person's install: true when an install attempt since the wait began
    /// found our app installed (send now). Otherwise the delivery becomes unreachable with the
    /// installation's reason when it ended where no DM can follow, or waits on.
    /// </summary>
    private async Task<bool> InstallSettledAsync(AnnouncementDelivery delivery, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var since = delivery.WaitingSince ?? delivery.UpdatedAt;
        var installation = await db.Users.AsNoTracking().Where(u => u.Id == delivery.RecipientUserId).Select(u => u.AppInstallation).SingleAsync(cancellationToken);
        var answered = installation.ChangedAt >= since || installation.VerifiedAt >= since
                       || await db.AppInstallationAttempts.AnyAsync(a => a.UserId == delivery.RecipientUserId && a.At >= since, cancellationToken);
        if (answered && installation.State == InstallationState.Installed)
        {
            return true;
        }

        string? why = answered ? UnreachableReason(installation) : null;
        if (why is null && now - since > settings.InstallWaitLimit)
        {
            why = $"Our app was still not installed for this person after {settings.InstallWaitLimit.TotalHours:0.#} hours ({installation.State}).";
        }

        var state = delivery.State;
        if (why is not null)
        {
            await db.Set<AnnouncementDelivery>().Where(d => d.Id == delivery.Id && d.State == state)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(d => d.State, DeliveryState.Unreachable)
                    .SetProperty(d => d.NextAttemptAt, (DateTimeOffset?)null)
                    .SetProperty(d => d.LastError, ClippedText.Clip(why, AnnouncementDelivery.ErrorMaxLength))
                    .SetProperty(d => d.UpdatedAt, now), cancellationToken);
            await changes.RecordAsync(db, DataChange.Of(ChangeTopic.Incidents, delivery.OrganizationId), cancellationToken);
            return false;
        }

        var next = now + settings.InstallCheckInterval;
        await db.Set<AnnouncementDelivery>().Where(d => d.Id == delivery.Id && d.State == state)
            .ExecuteUpdateAsync(s => s.SetProperty(d => d.NextAttemptAt, next).SetProperty(d => d.UpdatedAt, now), cancellationToken);
        jobs.Schedule<AnnouncementJobs>(j => j.DeliverAsync(delivery.Id, CancellationToken.None), next);
        return false;
    }

    /// <summary>Why a DM cannot follow the installation's outcome, or null while it may still succeed.</summary>
    public static string? UnreachableReason(UserAppInstallation installation) => installation.State switch
    {
        InstallationState.BlockedByPolicy => $"A Teams app permission policy blocks our app for this person: a Teams admin must allow it. {installation.LastError}".Trim(),
        InstallationState.NeverOpenedTeams => "This person has never opened Teams, so our app cannot be installed for them yet.",
        InstallationState.NotInCatalog => $"Our app is not in your organisation's Teams app catalog. {installation.LastError}".Trim(),
        InstallationState.Failed => $"Installing our app for this person failed: {installation.LastError ?? "no reason given"}",
        _ => null,
    };

    private async Task FailAsync(LeaseHold<AnnouncementDelivery> hold, AnnouncementDelivery delivery, bool transient, int? status, string? code, string message, string? correlationId, TimeSpan? retryAfter)
    {
        var attempts = delivery.Attempts + 1;
        var retry = transient && attempts < settings.MaxAttempts;
        DateTimeOffset? next = retry ? clock.GetUtcNow() + (retryAfter ?? RetryBackoff.WithJitter(attempts, settings.FirstBackoff, settings.MaxBackoff)) : null;
        var text = retry ? message : transient ? $"Gave up after {attempts} attempts. {message}" : message;
        await FinishAsync(hold, delivery, s => s
            .SetProperty(d => d.State, DeliveryState.Failed)
            .SetProperty(d => d.NextAttemptAt, next)
            .SetProperty(d => d.LastStatus, status)
            .SetProperty(d => d.LastErrorCode, code)
            .SetProperty(d => d.CorrelationId, correlationId)
            .SetProperty(d => d.LastError, ClippedText.Clip(text, AnnouncementDelivery.ErrorMaxLength)));
        if (next is { } at)
        {
            jobs.Schedule<AnnouncementJobs>(j => j.DeliverAsync(delivery.Id, CancellationToken.None), at);
        }
    }

    /// <summary>
    /// Records the outcome of a send this worker holds, giving the lease back in the same UPDATE. A
    /// success is also recorded over "outcome unknown" (the sweep gave up on us while the answer was on its way).
    /// </summary>
    private async Task FinishAsync(
        LeaseHold<AnnouncementDelivery> hold, AnnouncementDelivery delivery, Action<UpdateSettersBuilder<AnnouncementDelivery>> set, bool alsoIfUnknown = false)
    {
        var now = clock.GetUtcNow();
        void Outcome(UpdateSettersBuilder<AnnouncementDelivery> s)
        {
            set(s);
            s.SetProperty(d => d.UpdatedAt, now);
        }

        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        if (!await hold.ReleaseAsync(Outcome) && alsoIfUnknown)
        {
            await db.Set<AnnouncementDelivery>().Where(d => d.Id == delivery.Id && d.State == DeliveryState.OutcomeUnknown)
                .ExecuteUpdateAsync(Outcome, CancellationToken.None);
        }

        await changes.RecordAsync(db, DataChange.Of(ChangeTopic.Incidents, delivery.OrganizationId), CancellationToken.None);
    }

    /// <summary>The channel is not one Microsoft lists for the organisation's team: never posted to.</summary>
    private sealed class ChannelNotListedException(string message) : Exception(message);

    /// <summary>The team's channels could not be read just now: tried again later, not posted unchecked.</summary>
    private sealed class ChannelUnverifiedException(string message) : Exception(message);

        /// <summary>The person cannot be messaged, for a reason no retry fixes.</summary>
    private sealed class RecipientUnreachableException(string message) : Exception(message);
}
