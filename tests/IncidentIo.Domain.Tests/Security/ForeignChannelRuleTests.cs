using IncidentIo.Domain.Announcements;
using IncidentIo.Domain.Tests.Announcements;
using IncidentIo.Domain.Tests.Reachability;
using IncidentIo.Sandbox.State;
using Microsoft.EntityFrameworkCore;

using User = IncidentIo.Domain.Users.User;

namespace IncidentIo.Domain.Tests.Security;

/// <summary>
/// An admin points an announcement rule at a channel that is not one of their team's channels (another
/// organisation's, typed or copied): the save is refused and nothing changes. A channel Microsoft stops
/// listing after the rule was saved is checked again before each post: skipped, recorded, not sent.
/// </summary>
public sealed class ForeignChannelRuleTests : IAsyncLifetime
{
    private AnnouncementHarness harness = null!;
    private User admin = null!;

    public async Task InitializeAsync()
    {
        harness = await AnnouncementHarness.StartAsync();
        admin = await harness.UserAsync(DemoSeed.AdminId);
    }

    public async Task DisposeAsync() => await harness.DisposeAsync();

    private async Task<string> StateAsync()
    {
        await using var db = await harness.DbAsync();
        return await StoredState.CaptureAsync(db, harness.Queue.Count);
    }

    private Task<RuleSaveResult> SaveAsync(string channelId) => harness.Settings.SaveAsync(harness.OrganizationId, admin.Id, null, new AnnouncementRuleForm
    {
        Name = "Pointed elsewhere", BotTeamId = harness.BotTeam.Id, ChannelConversationId = channelId, ChannelName = "Somewhere",
    });

    [Fact]
    public async Task A_channel_of_the_team_as_microsoft_lists_it_is_accepted_so_the_refusals_below_would_show()
    {
        var warRoom = harness.Reach.Sandbox.State.Teams.AddChannel(harness.Team.Id, "War room");

        var saved = await SaveAsync(warRoom.Id);

        Assert.True(saved.Succeeded, string.Join("; ", saved.Errors.Values));
        Assert.Equal(warRoom.Id, saved.Rule!.ChannelConversationId);
    }

    [Fact]
    public async Task Another_teams_channel_or_a_made_up_one_is_refused_and_nothing_changes()
    {
        // Another team (here: the same tenant's, our bot not in it) stands for another organisation's channel:
        // what matters is that it is not listed for the rule's team.
        var other = harness.Reach.Sandbox.State.Teams.CreateTeam(ReachabilityHarness.Contoso, "Someone else's", null, [(DemoSeed.AdminId, true)]);
        var otherChannel = harness.Reach.Sandbox.State.Teams.AddChannel(other.Id, "Their incidents");
        var before = await StateAsync();

        foreach (var channel in new[] { otherChannel.Id, other.GeneralChannelId, "19:0123456789abcdef0123456789abcdef@thread.tacv2" })
        {
            var refused = await SaveAsync(channel);

            Assert.False(refused.Succeeded);
            Assert.Contains("not one of the channels Microsoft lists for Incidents", refused.Errors[nameof(AnnouncementRuleForm.ChannelConversationId)], StringComparison.Ordinal);
        }

        Assert.Equal(before, await StateAsync());
    }

    [Fact]
    public async Task A_channel_deleted_after_the_rule_was_saved_is_skipped_and_recorded_not_posted()
    {
        var warRoom = harness.Reach.Sandbox.State.Teams.AddChannel(harness.Team.Id, "War room");
        Assert.True((await SaveAsync(warRoom.Id)).Succeeded);
        Assert.True(harness.Reach.Sandbox.State.Teams.DeleteChannel(harness.Team.Id, warRoom.Id));

        var incident = await harness.DeclareAsync(admin.Id, (await harness.UserAsync(DemoSeed.UserId)).Id);
        foreach (var update in harness.QueuedUpdates())
        {
            await harness.Jobs.AnnounceAsync(update, CancellationToken.None);
        }

        var skipped = Assert.Single(await harness.DeliveriesAsync(incident.Id), d => d.Target == warRoom.Id);
        Assert.Equal(DeliveryState.Skipped, skipped.State);
        Assert.Contains("not a channel Microsoft lists", skipped.LastError, StringComparison.Ordinal);
        Assert.Empty(harness.Posted.For(warRoom.Id));
        // Nothing queued to try it again.
        Assert.Empty(harness.Queue.Take(nameof(AnnouncementJobs.DeliverAsync)));
        await using var db = await harness.DbAsync();
        Assert.Equal(0, await db.AnnouncementDeliveries.CountAsync(d => d.State == DeliveryState.Sending));
    }
}
