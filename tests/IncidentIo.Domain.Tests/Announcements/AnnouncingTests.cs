using IncidentIo.Domain.Announcements;
using IncidentIo.Domain.Incidents;
using IncidentIo.Domain.Reachability;
using IncidentIo.Sandbox.State;
using Microsoft.EntityFrameworkCore;

using User = IncidentIo.Domain.Users.User;

namespace IncidentIo.Domain.Tests.Announcements;

/// <summary>The announcing job against the Sandbox's Bot Framework connector, with real per-user installs through Graph.</summary>
public sealed class AnnouncingTests : IAsyncLifetime
{
    private AnnouncementHarness harness = null!;
    private User admin = null!;
    private User uma = null!;

    public async Task InitializeAsync()
    {
        harness = await AnnouncementHarness.StartAsync();
        admin = await harness.UserAsync(DemoSeed.AdminId);
        uma = await harness.UserAsync(DemoSeed.UserId);
    }

    public async Task DisposeAsync() => await harness.DisposeAsync();

    private string General => harness.Team.GeneralChannelId;

    private async Task<Incident> DeclareAndAnnounceAsync(Guid lead, Action<DeclareIncident>? change = null)
    {
        var incident = await harness.DeclareAsync(admin.Id, lead, change);
        foreach (var update in harness.QueuedUpdates())
        {
            await harness.Jobs.AnnounceAsync(update, CancellationToken.None);
        }

        return incident;
    }

    /// <summary>Every string in the posted attachments, one per line, as a reader would meet them.</summary>
    private static string CardText(Sandbox.BotFramework.SentActivity posted) => string.Join('\n', Strings(posted.Attachments!));

    private static IEnumerable<string> Strings(System.Text.Json.Nodes.JsonNode? node) => node switch
    {
        System.Text.Json.Nodes.JsonObject o => o.SelectMany(p => Strings(p.Value)),
        System.Text.Json.Nodes.JsonArray a => a.SelectMany(Strings),
        System.Text.Json.Nodes.JsonValue v when v.TryGetValue<string>(out var text) => [text],
        _ => [],
    };

    [Fact]
    public async Task A_matching_rule_posts_one_card_and_a_rule_that_does_not_match_posts_none()
    {
        await harness.AddRuleAsync(admin.Id, f => f.MinimumSeverity = IncidentSeverity.Sev2);
        var quiet = await DeclareAndAnnounceAsync(uma.Id, f => f.Severity = IncidentSeverity.Sev3);
        Assert.Empty(harness.Posted.For(General));

        var loud = await DeclareAndAnnounceAsync(uma.Id, f => { f.Severity = IncidentSeverity.Sev1; f.Name = "Checkout **down**"; });

        var posted = Assert.Single(harness.Posted.For(General));
        Assert.Contains("INC-2 · Checkout **down**", CardText(posted), StringComparison.Ordinal);
        Assert.Contains("application/vnd.microsoft.card.adaptive", CardText(posted), StringComparison.Ordinal);
        var delivery = Assert.Single(await harness.DeliveriesAsync(loud.Id), d => d.Kind == DeliveryKind.ChannelCard);
        Assert.Equal((DeliveryState.Sent, posted.Id, "Incidents › General"), (delivery.State, delivery.ActivityId, delivery.TargetName));
        Assert.DoesNotContain(await harness.DeliveriesAsync(quiet.Id), d => d.Kind == DeliveryKind.ChannelCard);
    }

    [Fact]
    public async Task Two_rules_on_one_channel_post_once_and_running_the_job_and_the_sweep_again_posts_nothing_new()
    {
        await harness.AddRuleAsync(admin.Id);
        await harness.AddRuleAsync(admin.Id, f => f.IncidentTypes = ["Default"]);
        var incident = await DeclareAndAnnounceAsync(uma.Id);
        var update = (await harness.Incidents.GetAsync(harness.OrganizationId, admin.Id, incident.Id))!.Updates.Single();

        await harness.Jobs.AnnounceAsync(update.Id, CancellationToken.None);
        await harness.Jobs.CreateDeliveriesAsync(update.Id, CancellationToken.None);
        await harness.Jobs.SweepAsync(CancellationToken.None);
        foreach (var delivery in await harness.DeliveriesAsync(incident.Id))
        {
            await harness.Jobs.DeliverAsync(delivery.Id, CancellationToken.None);
        }

        Assert.Single(harness.Posted.For(General));
        Assert.Single(harness.Posted.All(), a => a.UserId == DemoSeed.UserId);
        Assert.Equal(2, (await harness.DeliveriesAsync(incident.Id)).Count);
    }

    [Fact]
    public async Task Severity_and_status_changes_are_announced_by_the_rules_that_ask_for_them()
    {
        await harness.AddRuleAsync(admin.Id, f => { f.OnDeclared = false; f.OnSeverityChanged = true; f.OnResolved = true; });
        var incident = await DeclareAndAnnounceAsync(uma.Id);
        await harness.Incidents.ChangeSeverityAsync(harness.OrganizationId, incident.Id, uma.Id, IncidentSeverity.Sev2);
        await harness.Incidents.ChangeStatusAsync(harness.OrganizationId, incident.Id, uma.Id, IncidentStatus.Monitoring);
        await harness.Incidents.ChangeStatusAsync(harness.OrganizationId, incident.Id, uma.Id, IncidentStatus.Resolved);
        foreach (var update in harness.QueuedUpdates())
        {
            await harness.Jobs.AnnounceAsync(update, CancellationToken.None);
        }

        var cards = harness.Posted.For(General).Select(CardText).ToList();
        Assert.Equal(2, cards.Count);
        Assert.Contains("Severity is now SEV2", cards[0], StringComparison.Ordinal);
        Assert.Contains("Incident resolved", cards[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_lost_queue_entry_is_announced_by_the_sweep()
    {
        await harness.AddRuleAsync(admin.Id);
        var incident = await harness.DeclareAsync(admin.Id, uma.Id);
        harness.QueuedUpdates(); // the queue lost it
        await using (var db = await harness.DbAsync())
        {
            await db.IncidentUpdates.ExecuteUpdateAsync(s => s.SetProperty(u => u.At, u => u.At.AddMinutes(-2)));
        }

        await harness.Jobs.SweepAsync(CancellationToken.None);

        Assert.Single(harness.Posted.For(General));
        Assert.All(await harness.DeliveriesAsync(incident.Id), d => Assert.Equal(DeliveryState.Sent, d.State));
    }

    [Fact]
    public async Task The_lead_with_our_app_gets_a_dm_and_their_conversation_is_kept()
    {
        var incident = await DeclareAndAnnounceAsync(uma.Id);

        var dm = Assert.Single(harness.Posted.All(), a => a.UserId == DemoSeed.UserId);
        Assert.Contains("You are the lead of INC-1", CardText(dm), StringComparison.Ordinal);
        var delivery = Assert.Single(await harness.DeliveriesAsync(incident.Id));
        Assert.Equal((DeliveryKind.LeadMessage, DeliveryState.Sent, dm.ConversationId), (delivery.Kind, delivery.State, delivery.ConversationId));
        Assert.Equal(dm.ConversationId, (await harness.UserAsync(DemoSeed.UserId)).BotConversationId);
    }

    [Fact]
    public async Task A_new_lead_gets_a_dm_and_channels_get_no_post_for_the_change()
    {
        await harness.AddRuleAsync(admin.Id, f => { f.OnSeverityChanged = true; f.OnStatusChanged = true; });
        var incident = await DeclareAndAnnounceAsync(uma.Id);
        var nora = await harness.UserAsync(DemoSeed.NoTeamUser1Id);

        var refused = await harness.Incidents.ChangeLeadAsync(harness.OrganizationId, incident.Id, admin.Id, Guid.NewGuid());
        var same = await harness.Incidents.ChangeLeadAsync(harness.OrganizationId, incident.Id, admin.Id, uma.Id);
        var changed = await harness.Incidents.ChangeLeadAsync(harness.OrganizationId, incident.Id, admin.Id, nora.Id);
        foreach (var update in harness.QueuedUpdates())
        {
            await harness.Jobs.AnnounceAsync(update, CancellationToken.None);
        }

        Assert.Equal("The lead must be an active member of your organisation.", refused.Error);
        Assert.Equal("They already lead this incident.", same.Error);
        Assert.Equal(nora.Id, changed.Incident!.LeadUserId);
        Assert.Single(harness.Posted.For(General));
        var details = (await harness.Incidents.GetAsync(harness.OrganizationId, admin.Id, incident.Id))!;
        var leadChange = details.Updates.Single(u => u.Kind == IncidentUpdateKind.LeadChanged);
        Assert.Equal((uma.DisplayName, nora.DisplayName), (details.Shown(leadChange, leadChange.From), details.Shown(leadChange, leadChange.To)));
        var dm = Assert.Single(details.Deliveries, d => d.IncidentUpdateId == leadChange.Id);
        Assert.Equal((DeliveryKind.LeadMessage, nora.Id, DeliveryState.WaitingForInstall), (dm.Kind, dm.RecipientUserId, dm.State));
    }

    [Fact]
    public async Task A_lead_without_our_app_gets_it_installed_and_then_the_dm_once()
    {
        var nora = await harness.UserAsync(DemoSeed.NoTeamUser1Id);
        var incident = await DeclareAndAnnounceAsync(nora.Id);

        var waiting = Assert.Single(await harness.DeliveriesAsync(incident.Id));
        Assert.Equal((DeliveryState.WaitingForInstall, 403, "ForbiddenOperationException"), (waiting.State, waiting.LastStatus, waiting.LastErrorCode));
        Assert.Empty(harness.Posted.All());
        var install = Assert.Single(harness.Queue.Take(nameof(AppInstallationJobs.InstallUserAsync)));
        Assert.Equal((nora.Id, "dm-needed"), ((Guid)install.Args[0]!, (string)install.Args[1]!));

        // Looking before the install ran: still waiting.
        await Task.Delay(150);
        await harness.Jobs.DeliverAsync(waiting.Id, CancellationToken.None);
        Assert.Equal(DeliveryState.WaitingForInstall, Assert.Single(await harness.DeliveriesAsync(incident.Id)).State);

        Assert.Equal(InstallationState.Installed, await harness.Reach.Installer.RunAsync(nora.Id, "dm-needed"));
        await Task.Delay(150);
        await harness.Jobs.SweepAsync(CancellationToken.None);
        await harness.Jobs.SweepAsync(CancellationToken.None);

        var dm = Assert.Single(harness.Posted.All(), a => a.UserId == DemoSeed.NoTeamUser1Id);
        var sent = Assert.Single(await harness.DeliveriesAsync(incident.Id));
        Assert.Equal((DeliveryState.Sent, dm.Id), (sent.State, sent.ActivityId));
    }

    [Fact]
    public async Task A_lead_blocked_by_policy_is_unreachable_with_the_reason()
    {
        var blake = await harness.UserAsync(DemoSeed.BlockedUserId);
        var incident = await DeclareAndAnnounceAsync(blake.Id);
        Assert.Single(harness.Queue.Take(nameof(AppInstallationJobs.InstallUserAsync)));

        Assert.Equal(InstallationState.BlockedByPolicy, await harness.Reach.Installer.RunAsync(blake.Id, "dm-needed"));
        await Task.Delay(150);
        await harness.Jobs.SweepAsync(CancellationToken.None);

        var delivery = Assert.Single(await harness.DeliveriesAsync(incident.Id));
        Assert.Equal(DeliveryState.Unreachable, delivery.State);
        Assert.Contains("permission policy", delivery.LastError, StringComparison.Ordinal);
        Assert.Null(delivery.NextAttemptAt);
        Assert.Empty(harness.Posted.All());
    }

    [Fact]
    public async Task A_lead_blocked_by_policy_but_in_a_team_with_our_bot_gets_the_dm_through_the_team_without_an_install()
    {
        var blake = await harness.UserAsync(DemoSeed.BlockedUserId);
        Assert.Equal(InstallationState.BlockedByPolicy, await harness.Reach.Installer.RunAsync(blake.Id, "retry"));
        // Blake joins the team where our bot is: Teams tells the bot (member added), which records it.
        Assert.True(harness.Reach.Sandbox.State.Teams.AddMember(harness.Team.Id, DemoSeed.BlockedUserId));
        await using (var db = await harness.DbAsync())
        {
            await IncidentIo.Domain.ActiveUsers.TeamMembershipChanges.ReactivateAsync(
                db, harness.OrganizationId, [DemoSeed.BlockedUserId], "joined the team \"Incidents\"", DateTimeOffset.UtcNow, CancellationToken.None, teamName: "Incidents");
            await db.SaveChangesAsync();
        }

        var incident = await DeclareAndAnnounceAsync(blake.Id);

        var delivery = Assert.Single(await harness.DeliveriesAsync(incident.Id));
        var dm = Assert.Single(harness.Posted.All(), a => a.UserId == DemoSeed.BlockedUserId);
        Assert.Equal((DeliveryState.Sent, dm.Id), (delivery.State, delivery.ActivityId));
        Assert.Equal($"{blake.DisplayName} (through the team \"Incidents\", where IncidentIo is installed)", delivery.TargetName);
        Assert.Empty(harness.Queue.Take(nameof(AppInstallationJobs.InstallUserAsync)));
        Assert.Equal(InstallationState.BlockedByPolicy, (await harness.UserAsync(DemoSeed.BlockedUserId)).AppInstallation.State);
    }

    [Fact]
    public async Task A_send_abandoned_mid_way_is_marked_outcome_unknown_never_resent_by_itself_and_an_admin_can_send_it_again()
    {
        await harness.AddRuleAsync(admin.Id);
        var incident = await harness.DeclareAsync(admin.Id, uma.Id);
        var update = Assert.Single(harness.QueuedUpdates());
        await harness.Jobs.CreateDeliveriesAsync(update, CancellationToken.None);
        await using (var db = await harness.DbAsync())
        {
            // A worker claimed the channel post and was killed before recording the answer.
            await db.AnnouncementDeliveries.Where(d => d.Kind == DeliveryKind.ChannelCard).ExecuteUpdateAsync(s => s
                .SetProperty(d => d.State, DeliveryState.Sending).SetProperty(d => d.LeaseUntil, DateTimeOffset.UtcNow.AddSeconds(-1)));
        }

        await harness.Jobs.SweepAsync(CancellationToken.None);
        await harness.Jobs.SweepAsync(CancellationToken.None);
        var channel = Assert.Single(await harness.DeliveriesAsync(incident.Id), d => d.Kind == DeliveryKind.ChannelCard);
        await harness.Jobs.DeliverAsync(channel.Id, CancellationToken.None);

        Assert.Equal(DeliveryState.OutcomeUnknown, (await harness.DeliveriesAsync(incident.Id)).Single(d => d.Id == channel.Id).State);
        Assert.Empty(harness.Posted.For(General));
        Assert.Equal(AnnouncementSettings.NotAllowed.Replace("change announcements", "send an announcement again", StringComparison.Ordinal),
            await harness.Settings.SendAgainAsync(harness.OrganizationId, uma.Id, channel.Id));
        Assert.Null(await harness.Settings.SendAgainAsync(harness.OrganizationId, admin.Id, channel.Id));
        Assert.NotNull(await harness.Settings.SendAgainAsync(harness.OrganizationId, admin.Id, channel.Id));
        var queued = Assert.Single(harness.Queue.Take(nameof(AnnouncementJobs.DeliverAsync)));
        await harness.Jobs.DeliverAsync((Guid)queued.Args[0]!, CancellationToken.None);

        Assert.Single(harness.Posted.For(General));
        Assert.Equal(DeliveryState.Sent, (await harness.DeliveriesAsync(incident.Id)).Single(d => d.Id == channel.Id).State);
    }

    [Fact]
    public async Task A_send_that_outlasts_its_lease_is_renewed_and_not_given_up_by_the_sweep_while_its_worker_lives()
    {
        await harness.AddRuleAsync(admin.Id);
        await harness.DeclareAsync(admin.Id, uma.Id);
        var update = Assert.Single(harness.QueuedUpdates());
        // Teams answers later than the 10 s lease: only renewals keep the delivery this worker's.
        harness.Reach.Sandbox.Bot.SendAnswerDelay = TimeSpan.FromSeconds(13);
        var announcing = harness.Jobs.AnnounceAsync(update, CancellationToken.None);

        AnnouncementDelivery? sending = null;
        await WaitUntilAsync(async () => (sending = (await AllDeliveriesAsync()).FirstOrDefault(d => d.State == DeliveryState.Sending)) is not null);
        var firstUntil = sending!.LeaseUntil!.Value;
        await WaitUntilAsync(() => Task.FromResult(DateTimeOffset.UtcNow > firstUntil.AddSeconds(1)));
        await harness.Jobs.SweepAsync(CancellationToken.None);

        var held = (await AllDeliveriesAsync()).Single(d => d.Id == sending.Id);
        Assert.Equal(DeliveryState.Sending, held.State);
        Assert.True(held.LeaseUntil > firstUntil, "The lease was not renewed while the send lasted.");
        harness.Reach.Sandbox.Bot.SendAnswerDelay = TimeSpan.Zero;
        await announcing;

        Assert.All(await AllDeliveriesAsync(), d => Assert.Equal((DeliveryState.Sent, null, null), (d.State, d.LeaseOwner, d.LeaseUntil)));
        Assert.Single(harness.Posted.For(General));
    }

    private async Task<List<AnnouncementDelivery>> AllDeliveriesAsync()
    {
        await using var db = await harness.DbAsync();
        return await db.Set<AnnouncementDelivery>().AsNoTracking().ToListAsync();
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var giveUp = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < giveUp, "The condition did not come true within 60 s.");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Two_workers_delivering_the_same_update_at_once_post_once()
    {
        await harness.AddRuleAsync(admin.Id);
        await harness.DeclareAsync(admin.Id, uma.Id);
        var update = Assert.Single(harness.QueuedUpdates());

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => harness.Jobs.AnnounceAsync(update, CancellationToken.None)));

        Assert.Single(harness.Posted.For(General));
        Assert.Single(harness.Posted.All(), a => a.UserId == DemoSeed.UserId);
    }

    [Fact]
    public async Task A_rule_naming_a_channel_outside_its_team_is_skipped_before_posting_and_says_why()
    {
        // A rule saved before channels were checked, naming a team our bot is not in: Teams would refuse
        // the post (403), and another organisation's channel would not. Neither is tried.
        var finance = harness.Reach.Sandbox.State.Teams.CreateTeam(ReachabilityHarness_Contoso, "Finance", null, [(DemoSeed.AdminId, true)]);
        var rule = await harness.AddRuleAsync(admin.Id);
        await using (var db = await harness.DbAsync())
        {
            await db.AnnouncementRules.Where(r => r.Id == rule.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.ChannelConversationId, finance.GeneralChannelId).SetProperty(r => r.ChannelName, "Finance general"));
        }

        var incident = await DeclareAndAnnounceAsync(uma.Id);

        var skipped = Assert.Single(await harness.DeliveriesAsync(incident.Id), d => d.Kind == DeliveryKind.ChannelCard);
        Assert.Equal((DeliveryState.Skipped, (DateTimeOffset?)null), (skipped.State, skipped.NextAttemptAt));
        Assert.Contains("not a channel Microsoft lists", skipped.LastError, StringComparison.Ordinal);
        Assert.Empty(harness.Posted.For(finance.GeneralChannelId));
    }

    [Fact]
    public async Task A_busy_connector_is_tried_again_with_backoff_and_each_message_is_posted_once()
    {
        await harness.AddRuleAsync(admin.Id);
        harness.Flaky.FailNext = 1;
        var incident = await DeclareAndAnnounceAsync(uma.Id);

        // The card and the DM go out in turn; the first of them met the busy connector.
        var failed = Assert.Single(await harness.DeliveriesAsync(incident.Id), d => d.State != DeliveryState.Sent);
        Assert.Equal((DeliveryState.Failed, 503, "ServiceError", "flaky-1", 1), (failed.State, failed.LastStatus, failed.LastErrorCode, failed.CorrelationId, failed.Attempts));
        Assert.NotNull(failed.NextAttemptAt);
        Assert.Single(harness.Queue.Take(nameof(AnnouncementJobs.DeliverAsync)));
        Assert.Single(harness.Posted.All());
        await harness.Jobs.DeliverAsync(failed.Id, CancellationToken.None); // not due yet: nothing happens
        Assert.Single(harness.Posted.All());

        var wait = failed.NextAttemptAt!.Value - DateTimeOffset.UtcNow;
        await Task.Delay(wait > TimeSpan.Zero ? wait + TimeSpan.FromMilliseconds(50) : TimeSpan.FromMilliseconds(50));
        await harness.Jobs.SweepAsync(CancellationToken.None);
        await harness.Jobs.SweepAsync(CancellationToken.None);

        var sent = (await harness.DeliveriesAsync(incident.Id)).Single(d => d.Id == failed.Id);
        Assert.Equal((DeliveryState.Sent, 2), (sent.State, sent.Attempts));
        Assert.Single(harness.Posted.For(General));
        Assert.Single(harness.Posted.All(), a => a.UserId == DemoSeed.UserId);
    }

    [Fact]
    public async Task A_connector_that_keeps_failing_is_given_up_after_the_configured_attempts()
    {
        await harness.AddRuleAsync(admin.Id);
        harness.Flaky.FailNext = 100;
        harness.Flaky.Status = System.Net.HttpStatusCode.BadGateway;
        var incident = await DeclareAndAnnounceAsync(uma.Id);

        for (var i = 0; i < 10; i++)
        {
            var delivery = (await harness.DeliveriesAsync(incident.Id)).Single(d => d.Kind == DeliveryKind.ChannelCard);
            if (delivery.NextAttemptAt is not { } next)
            {
                break;
            }

            var wait = next - DateTimeOffset.UtcNow;
            await Task.Delay(wait > TimeSpan.Zero ? wait + TimeSpan.FromMilliseconds(20) : TimeSpan.FromMilliseconds(20));
            await harness.Jobs.DeliverAsync(delivery.Id, CancellationToken.None);
        }

        var gaveUp = (await harness.DeliveriesAsync(incident.Id)).Single(d => d.Kind == DeliveryKind.ChannelCard);
        Assert.Equal((DeliveryState.Failed, 3, (DateTimeOffset?)null), (gaveUp.State, gaveUp.Attempts, gaveUp.NextAttemptAt));
        Assert.StartsWith("Gave up after 3 attempts.", gaveUp.LastError, StringComparison.Ordinal);
        Assert.Empty(harness.Posted.For(General));
    }

    private static Guid ReachabilityHarness_Contoso => DemoSeed.ContosoTenantId;
}
