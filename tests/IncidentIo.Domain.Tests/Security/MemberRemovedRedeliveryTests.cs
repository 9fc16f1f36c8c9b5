using System.Text.Json;
using System.Text.Json.Nodes;
using IncidentIo.Domain.ActiveUsers;
using IncidentIo.Domain.Bot.Inbound;
using IncidentIo.Domain.Tests.Announcements;
using IncidentIo.Domain.Tests.Reachability;
using IncidentIo.Sandbox.State;
using Microsoft.Extensions.DependencyInjection;

namespace IncidentIo.Domain.Tests.Security;

/// <summary>
/// A "members removed" event: the request records it and queues the work without asking Graph
/// (a large removal would otherwise outlast Teams' wait, and Teams would deliver it again), and
/// Teams delivering it again queues nothing and changes nothing.
/// </summary>
public sealed class MemberRemovedRedeliveryTests : IAsyncLifetime
{
    private AnnouncementHarness harness = null!;

    public async Task InitializeAsync() => harness = await AnnouncementHarness.StartAsync();

    public async Task DisposeAsync() => await harness.DisposeAsync();

    private BotActivity UmaLeftTheTeam() => JsonSerializer.Deserialize<BotActivity>(new JsonObject
    {
        ["type"] = "conversationUpdate",
        ["id"] = $"f:{Guid.NewGuid()}",
        ["channelId"] = "msteams",
        ["serviceUrl"] = harness.Reach.Sandbox.Bot.ServiceUrl,
        ["from"] = new JsonObject { ["id"] = "29:admin", ["aadObjectId"] = DemoSeed.AdminId.ToString() },
        ["recipient"] = new JsonObject { ["id"] = "28:bot" },
        ["conversation"] = new JsonObject { ["isGroup"] = true, ["conversationType"] = "channel", ["tenantId"] = ReachabilityHarness.Contoso.ToString(), ["id"] = harness.BotTeam.TeamThreadId },
        ["membersRemoved"] = new JsonArray(new JsonObject { ["id"] = "29:uma", ["aadObjectId"] = DemoSeed.UserId.ToString() }),
        ["channelData"] = new JsonObject
        {
            ["eventType"] = "teamMemberRemoved",
            ["team"] = new JsonObject { ["id"] = harness.BotTeam.TeamThreadId },
            ["tenant"] = new JsonObject { ["id"] = ReachabilityHarness.Contoso.ToString() },
        },
    }, BotActivity.Json)!;

    private async Task<string> StateAsync()
    {
        await using var db = await harness.DbAsync();
        return await StoredState.CaptureAsync(db, harness.Queue.Count);
    }

    private int GraphCallsAboutUma() => harness.Reach.Sandbox.GraphRequests.Count(ReachabilityHarness.Contoso, DemoSeed.UserId.ToString());

    [Fact]
    public async Task The_request_queues_the_work_once_without_asking_graph_and_a_redelivery_changes_nothing()
    {
        var inbound = harness.Services.GetRequiredService<InboundActivities>();
        Assert.True(harness.Reach.Sandbox.State.Teams.RemoveMember(harness.Team.Id, DemoSeed.UserId));
        var activity = UmaLeftTheTeam();
        var graphBefore = GraphCallsAboutUma();

        Assert.Equal(InboundOutcome.Handled, await inbound.HandleAsync(activity, CancellationToken.None));

        Assert.Equal(graphBefore, GraphCallsAboutUma());
        Assert.True((await harness.UserAsync(DemoSeed.UserId)).IsActive); // decided by the job, not the request
        var afterFirst = await StateAsync();

        // Teams did not hear our answer in time and delivers the same activity again.
        Assert.Equal(InboundOutcome.Duplicate, await inbound.HandleAsync(activity, CancellationToken.None));

        Assert.Equal(afterFirst, await StateAsync());
        Assert.Equal(graphBefore, GraphCallsAboutUma());
        var queued = Assert.Single(harness.Queue.Take(nameof(TeamMemberRemovals.ApplyAsync)));
        Assert.Equal(0, harness.Queue.Count);

        // The queued work does what the request used to: Graph says Uma is in no other team of ours.
        await harness.Services.GetRequiredService<TeamMemberRemovals>()
            .ApplyAsync((Guid)queued.Args[0]!, (string)queued.Args[1]!, (Guid[])queued.Args[2]!, CancellationToken.None);

        Assert.True(GraphCallsAboutUma() > graphBefore);
        Assert.False((await harness.UserAsync(DemoSeed.UserId)).IsActive);
    }
}
