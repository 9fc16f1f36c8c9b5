using Hangfire;
using IncidentIo.Domain.Changes;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Incidents;
using IncidentIo.Domain.Organizations;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace IncidentIo.Domain.Announcements;

/// <summary>
/// The worker's side of announcing, as Hangfire jobs: turns an incident update into deliveries (one
/// per distinct channel its rules name, plus the lead's DM on declare) and has each sent at most
/// once by <see cref="DeliverySender"/>. The database is the source of truth: the recurring sweep
/// finds updates whose job was lost, retries due failures, looks again at DMs waiting for an
/// install, and settles abandoned sends.
/// </summary>
public sealed class AnnouncementJobs(
    IDbContextFactory<IncidentIoDbContext> dbFactory,
    DeliverySender sender,
    TimeProvider clock,
    ChangeRecorder changes,
    ILogger<AnnouncementJobs> logger)
{
    public const string Actor = "job:announcements";

    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("Announce incident update {0}")]
    public async Task AnnounceAsync(Guid updateId, CancellationToken cancellationToken)
    {
        await CreateDeliveriesAsync(updateId, cancellationToken);
        List<Guid> pending;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            pending = await db.Set<AnnouncementDelivery>().Where(d => d.IncidentUpdateId == updateId && d.State == DeliveryState.Pending)
                .OrderBy(d => d.CreatedAt).Select(d => d.Id).ToListAsync(cancellationToken);
        }

        foreach (var id in pending)
        {
            await DeliverAsync(id, cancellationToken);
        }
    }

    /// <summary>
    /// Creates the update's deliveries once: the update is claimed first (processed_at set in the same
    /// transaction), so a second worker's claim waits for this one's commit and then finds nothing to
    /// do. Two workers inserting the same deliveries at once had deadlocked on the unique (update,
    /// target) index; the index still turns away copies made any other way.
    /// </summary>
    public async Task CreateDeliveriesAsync(Guid updateId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var update = await db.Set<IncidentUpdate>().AsNoTracking().SingleOrDefaultAsync(u => u.Id == updateId, cancellationToken);
        if (update is null || update.ProcessedAt is not null)
        {
            return;
        }

        var incident = await db.Set<Incident>().AsNoTracking().SingleAsync(i => i.Id == update.IncidentId, cancellationToken);
        await DefaultAnnouncementRule.EnsureAsync(dbFactory, incident.OrganizationId, clock.GetUtcNow(), cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = clock.GetUtcNow();
        if (await db.Set<IncidentUpdate>().Where(u => u.Id == updateId && u.ProcessedAt == null)
                .ExecuteUpdateAsync(s => s.SetProperty(u => u.ProcessedAt, now), cancellationToken) == 0)
        {
            logger.LogInformation("Deliveries of update {UpdateId} were created by another worker", updateId);
            return;
        }

        // Published at the commit: the update's processing shows even when it makes no delivery.
        await changes.RecordAsync(db, DataChange.Of(ChangeTopic.Incidents, incident.OrganizationId), cancellationToken);
        var rules = await db.Set<AnnouncementRule>().Where(r => r.OrganizationId == incident.OrganizationId && r.IsEnabled).ToListAsync(cancellationToken);
        var teams = await db.BotTeams.Where(t => t.OrganizationId == incident.OrganizationId && t.RemovedAt == null).ToListAsync(cancellationToken);
        foreach (var target in AnnouncementTargets.For(incident, update.Kind, rules, teams))
        {
            db.Add(NewDelivery(update, DeliveryKind.ChannelCard, target.ConversationId, target.Name, now, target.ServiceUrl, target.ConversationId));
        }

        // The lead's message is a Team plan feature: on Basic the declare result says the lead is not messaged.
        if (update.Kind is IncidentUpdateKind.Declared or IncidentUpdateKind.LeadChanged
            && PlanFeatures.Of(await db.Organizations.Where(o => o.Id == incident.OrganizationId).Select(o => o.PlanCode).SingleAsync(cancellationToken)).LeadDirectMessages)
        {
            var lead = await db.Users.Where(u => u.Id == incident.LeadUserId).Select(u => u.DisplayName).SingleAsync(cancellationToken);
            db.Add(NewDelivery(update, DeliveryKind.LeadMessage, $"user:{incident.LeadUserId}", lead, now, recipient: incident.LeadUserId));
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private static AnnouncementDelivery NewDelivery(IncidentUpdate update, DeliveryKind kind, string target, string name, DateTimeOffset now,
        string? serviceUrl = null, string? conversationId = null, Guid? recipient = null) => new()
    {
        OrganizationId = update.OrganizationId,
        IncidentId = update.IncidentId,
        IncidentUpdateId = update.Id,
        Kind = kind,
        Target = target,
        TargetName = ClippedText.Clip(name, AnnouncementDelivery.TargetNameMaxLength),
        ServiceUrl = serviceUrl,
        ConversationId = conversationId,
        RecipientUserId = recipient,
        CreatedAt = now,
        UpdatedAt = now,
    };

    /// <summary>Sends one delivery if it is due and no other worker holds it; never sends one already sent.</summary>
    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("Deliver announcement {0}")]
    public Task DeliverAsync(Guid deliveryId, CancellationToken cancellationToken) => sender.DeliverAsync(deliveryId, cancellationToken);

    /// <summary>
    /// Recurring: what a lost job or a stopped worker left behind. A delivery still "sending" past
    /// its lease is marked outcome-unknown, not sent again: the worker may have posted it before it
    /// stopped, and the connector offers no way to look a post up by anything we chose
    /// (a client-supplied id or idempotency key), so resending risks a duplicate in the channel.
    /// An admin can send it again after checking.
    /// </summary>
    // No Hangfire lock: every write here is conditional (leases, unique deliveries), so two sweeps
    // at once are harmless, while a lock left by a killed worker would stop sweeps for as long as
    // Hangfire.PostgreSql keeps a dead holder's lock (10 minutes by default).
    [AutomaticRetry(Attempts = 0)]
    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        List<Guid> updates;
        List<Guid> due;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            var abandoned = await db.Set<AnnouncementDelivery>()
                .Where(d => d.State == DeliveryState.Sending).Where(sender.Lease.ExpiredAt(now))
                .ExecuteUpdateAsync(s => s
                    .SetProperty(d => d.State, DeliveryState.OutcomeUnknown)
                    .SetProperty(d => d.LeaseOwner, (string?)null)
                    .SetProperty(d => d.LeaseUntil, (DateTimeOffset?)null)
                    .SetProperty(d => d.LastError, "The worker sending this stopped before Teams answered: the message may or may not have been posted. Check the channel, then send again if it is missing.")
                    .SetProperty(d => d.UpdatedAt, now), cancellationToken);
            if (abandoned > 0)
            {
                await changes.RecordAsync(db, DataChange.Everywhere(ChangeTopic.Incidents), cancellationToken);
                logger.LogWarning("{Count} deliveries were abandoned mid-send and are marked outcome unknown", abandoned);
            }

            // A moment's grace so the job queued with the change gets there first.
            var settled = now - TimeSpan.FromSeconds(30);
            updates = await db.Set<IncidentUpdate>().Where(u => u.ProcessedAt == null && u.At < settled)
                .OrderBy(u => u.At).Select(u => u.Id).Take(200).ToListAsync(cancellationToken);
            due = await db.Set<AnnouncementDelivery>()
                .Where(d => (d.State == DeliveryState.Pending && d.CreatedAt < settled)
                            || ((d.State == DeliveryState.Failed || d.State == DeliveryState.WaitingForInstall) && d.NextAttemptAt <= now))
                .OrderBy(d => d.CreatedAt).Select(d => d.Id).Take(500).ToListAsync(cancellationToken);
        }

        foreach (var updateId in updates)
        {
            await AnnounceAsync(updateId, cancellationToken);
        }

        foreach (var deliveryId in due)
        {
            await DeliverAsync(deliveryId, cancellationToken);
        }
    }
}
