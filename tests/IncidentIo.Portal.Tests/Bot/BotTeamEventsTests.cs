using Hangfire;
using IncidentIo.Domain.ActiveUsers;
using IncidentIo.Domain.Bot.Inbound;
using IncidentIo.Domain.Reachability;
using IncidentIo.Domain.Users;
using IncidentIo.Sandbox.Faults;
using IncidentIo.Sandbox.State;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace IncidentIo.Portal.Tests.Bot;

/// <summary>
/// Teams state changes in the Sandbox (as Graph or an admin makes them) reach our bot through the
/// Sandbox's channel by themselves, signed as Microsoft signs them, and our endpoint acts on them
/// on PostgreSQL: our bot's teams, per-person installs, and active users between sweeps.
/// Each test works on its own team and people, so their order does not matter.
/// </summary>
public sealed class BotTeamEventsTests(PostgresBotPortal portal, ITestOutputHelper output) : IClassFixture<PostgresBotPortal>
{
    [Fact]
    public async Task Installing_our_app_in_a_team_records_the_team_and_removing_it_marks_it_removed()
    {
        var team = portal.Sandbox.State.Teams.CreateTeam(BotPortal.Contoso, "Install journey", null, [(DemoSeed.AdminId, true)]);
        await portal.InstallInTeamAsync(team.Id);

        AssertDelivered();
        await using (var db = portal.NewContext())
        {
            var recorded = await db.BotTeams.SingleAsync(t => t.TeamThreadId == team.GeneralChannelId);
            Assert.Equal(portal.OrganizationId, recorded.OrganizationId);
            Assert.True(recorded.IsInstalled);
            Assert.Equal(portal.Sandbox.Bot.ServiceUrl, recorded.ServiceUrl);
            Assert.Equal(portal.Sandbox.Bot.ServiceUrl, (await db.Organizations.SingleAsync(o => o.Id == portal.OrganizationId)).BotServiceUrl);
        }

        // Teams sent only the team's thread id: a job asks the connector for its name and Graph id.
        await Eventually(async () =>
        {
            await using var db = portal.NewContext();
            var refreshed = await db.BotTeams.SingleAsync(t => t.TeamThreadId == team.GeneralChannelId);
            return refreshed.Name == "Install journey" && refreshed.GraphTeamId == team.Id;
        });

        await portal.Sandbox.Bot.Channel.TeamRenamedAsync(portal.BotId, team.GeneralChannelId, DemoSeed.AdminId);
        await using (var db = portal.NewContext())
        {
            Assert.Equal("Install journey", (await db.BotTeams.SingleAsync(t => t.TeamThreadId == team.GeneralChannelId)).Name);
        }

        var installation = portal.Sandbox.State.Teams.Installations(InstallationScope.Team, team.Id).Single();
        Assert.True(portal.Sandbox.State.Teams.Uninstall(InstallationScope.Team, team.Id, installation.Id));
        await portal.Sandbox.Bot.Relay.WhenIdleAsync();

        AssertDelivered();
        await using (var db = portal.NewContext())
        {
            var removed = await db.BotTeams.SingleAsync(t => t.TeamThreadId == team.GeneralChannelId);
            Assert.NotNull(removed.RemovedAt);
            Assert.False(removed.IsInstalled);
        }
    }

    [Fact]
    public async Task Installing_our_app_for_a_person_gives_the_bot_their_conversation_and_marks_it_installed()
    {
        var lou = portal.SandboxUser("loner1@contoso.example");
        var installation = portal.Sandbox.State.Teams.InstallForUser(BotPortal.Contoso, lou, portal.CatalogAppId(), awaitingTeamsClient: false);
        Assert.NotNull(installation);
        await portal.Sandbox.Bot.Relay.WhenIdleAsync();

        AssertDelivered();
        var user = await portal.UserAsync("loner1@contoso.example");
        Assert.Equal(portal.Sandbox.Bot.Conversations.GetOrCreate(portal.BotId, BotPortal.Contoso, lou).Id, user.BotConversationId);
        Assert.Equal(InstallationState.Installed, user.AppInstallation.State);
        Assert.NotNull(user.AppInstallation.VerifiedAt);
        await using (var db = portal.NewContext())
        {
            // Two activities (installationUpdate, conversationUpdate) for one change: one entry in the person's history.
            var history = await db.AppInstallationAttempts.Where(a => a.UserId == user.Id).ToListAsync();
            var entry = Assert.Single(history);
            Assert.Equal(InboundActivities.EventTrigger, entry.Trigger);
            Assert.Equal(InstallationState.Installed, entry.Outcome);
        }

        Assert.True(portal.Sandbox.State.Teams.Uninstall(InstallationScope.User, lou, installation.Id));
        await portal.Sandbox.Bot.Relay.WhenIdleAsync();

        AssertDelivered();
        user = await portal.UserAsync("loner1@contoso.example");
        Assert.Equal(InstallationState.NotInstalled, user.AppInstallation.State);
        Assert.Null(user.BotConversationId);
    }

    [Fact]
    public async Task Someone_removed_from_the_only_bot_team_is_deactivated_and_restored_as_responder_when_added_back()
    {
        var (team, person) = await TeamWithNewcomerAsync("Only team", "megan.bowen@contoso.example");

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        Assert.True(portal.Sandbox.State.Teams.RemoveMember(team.Id, person));
        await portal.Sandbox.Bot.Relay.WhenIdleAsync();

        AssertDelivered();
        // The endpoint queues the removal's work; the job asks Graph and writes the deactivation.
        await Eventually(async () => !(await portal.UserAsync("megan.bowen@contoso.example")).IsActive);
        output.WriteLine($"Removal in Teams to deactivation written (channel, token check, queued job, Graph joinedTeams, transaction): {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds:F0} ms");
        var megan = await portal.UserAsync("megan.bowen@contoso.example");
        Assert.False(megan.IsActive);
        Assert.Equal(UserRole.Viewer, megan.Role);
        Assert.Equal(UserRole.Responder, megan.RoleBeforeDeactivation);
        Assert.Contains("Only team", megan.DeactivationReason, StringComparison.Ordinal);
        await using (var db = portal.NewContext())
        {
            var audit = await db.AuditLog.SingleAsync(a => a.Action == "user.deactivated" && a.Details!.Contains("megan.bowen@contoso.example"));
            Assert.Equal(TeamMembershipChanges.Actor, audit.Actor);
        }

        Assert.True(portal.Sandbox.State.Teams.AddMember(team.Id, person));
        await portal.Sandbox.Bot.Relay.WhenIdleAsync();

        AssertDelivered();
        megan = await portal.UserAsync("megan.bowen@contoso.example");
        Assert.True(megan.IsActive);
        Assert.Equal(UserRole.Responder, megan.Role);
        Assert.Null(megan.RoleBeforeDeactivation);
        await using (var db = portal.NewContext())
        {
            var audit = await db.AuditLog.SingleAsync(a => a.Action == "user.reactivated" && a.Details!.Contains("megan.bowen@contoso.example"));
            Assert.Contains("Only team", audit.Details, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Someone_removed_from_one_bot_team_but_still_in_another_stays_active()
    {
        var (first, person) = await TeamWithNewcomerAsync("First bot team", "diego.siciliani@contoso.example");
        var second = portal.Sandbox.State.Teams.CreateTeam(BotPortal.Contoso, "Second bot team", null, [(DemoSeed.AdminId, true), (person, false)]);
        await portal.InstallInTeamAsync(second.Id);
        var removalsDone = RemovalJobsDone();

        Assert.True(portal.Sandbox.State.Teams.RemoveMember(first.Id, person));
        await portal.Sandbox.Bot.Relay.WhenIdleAsync();

        AssertDelivered();
        await Eventually(() => Task.FromResult(RemovalJobsDone() > removalsDone));
        var diego = await portal.UserAsync("diego.siciliani@contoso.example");
        Assert.True(diego.IsActive);
        Assert.Equal(UserRole.Responder, diego.Role);
        await using var db = portal.NewContext();
        // Teams named the second team by thread only; its Graph id was learned from Graph on the way.
        Assert.Equal(second.Id, (await db.BotTeams.SingleAsync(t => t.TeamThreadId == second.GeneralChannelId)).GraphTeamId);
    }

    [Fact]
    public async Task When_graph_cannot_say_which_teams_someone_is_in_nothing_changes()
    {
        var (team, person) = await TeamWithNewcomerAsync("Graph fails", "grady.archie@contoso.example");
        var before = await portal.SettledStateAsync(); // earlier events' roster reads may still be queueing installs
        var removalsDone = RemovalJobsDone();
        portal.Sandbox.Faults.SetUser(person, new FaultSettings { ErrorRate = 1, ErrorStatuses = [503] });
        try
        {
            Assert.True(portal.Sandbox.State.Teams.RemoveMember(team.Id, person));
            await portal.Sandbox.Bot.Relay.WhenIdleAsync();
            await Eventually(() => Task.FromResult(RemovalJobsDone() > removalsDone));
        }
        finally
        {
            portal.Sandbox.Faults.SetUser(person, null);
        }

        AssertDelivered();
        var grady = await portal.UserAsync("grady.archie@contoso.example");
        Assert.True(grady.IsActive);
        Assert.Equal(UserRole.Responder, grady.Role);
        // Only the delivery itself (so a repeat is recognised) and its queued look at Graph are recorded; no user, team or audit change.
        var after = await portal.StoredStateAsync();
        Assert.Equal(Without(before, "bot_received_activities", "jobs"), Without(after, "bot_received_activities", "jobs"));
    }

    [Fact]
    public async Task A_removal_from_a_team_that_is_not_ours_or_of_someone_we_do_not_know_deactivates_nobody()
    {
        // Operations has no bot of ours; the activity is genuine (signed by the channel) but names it.
        // Accepted activities of a tenant we know give its connector address: that may change, nothing else.
        var operations = portal.ThreadOf(TeamsSeed.OperationsTeamId);
        var lynne = portal.SandboxUser("lynne.robbins@contoso.example");
        var activity = portal.TeamInstallActivity(operations);
        activity["type"] = "conversationUpdate";
        activity.Remove("action");
        activity["channelData"]!["eventType"] = "teamMemberRemoved";
        activity["membersRemoved"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["id"] = "29:lynne", ["aadObjectId"] = lynne.ToString() });
        var before = await portal.SettledStateAsync();
        var delivery = await portal.Sandbox.Bot.Channel.SendAsync(portal.BotId, activity);

        Assert.True(delivery.Delivered);
        Assert.True((await portal.UserAsync("lynne.robbins@contoso.example")).IsActive);
        Assert.Equal(Without(before, "bot_received_activities", "bot_service_url"), Without(await portal.StoredStateAsync(), "bot_received_activities", "bot_service_url"));

        // Someone we do not know leaving one of our teams.
        var (team, _) = await TeamWithNewcomerAsync("Stranger leaves", "johanna.lorenz@contoso.example");
        var stranger = (System.Text.Json.Nodes.JsonObject)activity.DeepClone();
        stranger["id"] = $"f:{Guid.NewGuid()}";
        stranger["conversation"]!["id"] = team.GeneralChannelId;
        stranger["channelData"]!["team"]!["id"] = team.GeneralChannelId;
        stranger["membersRemoved"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["id"] = "29:stranger", ["aadObjectId"] = Guid.NewGuid().ToString() });
        before = await portal.SettledStateAsync(); // the new team's roster read has queued its installs

        Assert.True((await portal.Sandbox.Bot.Channel.SendAsync(portal.BotId, stranger)).Delivered);
        Assert.Equal(Without(before, "bot_received_activities", "bot_service_url"), Without(await portal.StoredStateAsync(), "bot_received_activities", "bot_service_url"));
    }

    [Fact]
    public async Task The_same_delivery_arriving_several_times_at_once_acts_once()
    {
        var lena = portal.SandboxUser("loner2@contoso.example");
        var activity = new System.Text.Json.Nodes.JsonObject
        {
            ["type"] = "installationUpdate",
            ["action"] = "add",
            ["id"] = $"f:{Guid.NewGuid()}",
            ["channelId"] = "msteams",
            ["serviceUrl"] = portal.Sandbox.Bot.ServiceUrl,
            ["from"] = new System.Text.Json.Nodes.JsonObject { ["id"] = "29:lena", ["aadObjectId"] = lena.ToString() },
            ["recipient"] = new System.Text.Json.Nodes.JsonObject { ["id"] = $"28:{portal.BotId}" },
            ["conversation"] = new System.Text.Json.Nodes.JsonObject { ["conversationType"] = "personal", ["tenantId"] = BotPortal.Contoso.ToString(), ["id"] = $"a:{Guid.NewGuid():N}" },
            ["channelData"] = new System.Text.Json.Nodes.JsonObject { ["tenant"] = new System.Text.Json.Nodes.JsonObject { ["id"] = BotPortal.Contoso.ToString() } },
        };
        var body = activity.ToJsonString();

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => portal.PostAsync(portal.Sandbox.Bot.Channel.CreateToken(portal.BotId), body)));

        Assert.All(responses, r => Assert.Equal(System.Net.HttpStatusCode.OK, r.StatusCode));
        foreach (var response in responses)
        {
            response.Dispose();
        }

        var user = await portal.UserAsync("loner2@contoso.example");
        await using var db = portal.NewContext();
        Assert.Equal(1, await db.BotReceivedActivities.CountAsync(r => r.ActivityId == activity["id"]!.GetValue<string>()));
        Assert.Single(await db.AppInstallationAttempts.Where(a => a.UserId == user.Id).ToListAsync());
    }

    /// <summary>A new team with our app, the admin as owner and <paramref name="upn"/> as its member.</summary>
    private async Task<(Team Team, Guid Person)> TeamWithNewcomerAsync(string name, string upn)
    {
        var person = portal.SandboxUser(upn);
        var team = portal.Sandbox.State.Teams.CreateTeam(BotPortal.Contoso, name, null, [(DemoSeed.AdminId, true), (person, false)]);
        await portal.InstallInTeamAsync(team.Id);
        await portal.Sandbox.Bot.Channel.TeamRenamedAsync(portal.BotId, team.GeneralChannelId, DemoSeed.AdminId);
        AssertDelivered();
        return (team, person);
    }

    [Fact]
    public async Task Someone_saying_help_to_our_bot_is_told_what_it_does_and_where_to_declare()
    {
        var isaiah = portal.SandboxUser("isaiah.langer@contoso.example");
        Assert.NotNull(portal.Sandbox.State.Teams.InstallForUser(BotPortal.Contoso, isaiah, portal.CatalogAppId(), awaitingTeamsClient: false));
        await portal.Sandbox.Bot.Relay.WhenIdleAsync();
        var chat = portal.Sandbox.Bot.Conversations.GetOrCreate(portal.BotId, BotPortal.Contoso, isaiah).Id;

        var delivery = await portal.Sandbox.Bot.Channel.UserMessageAsync(portal.BotId, BotPortal.Contoso, isaiah, "help");

        Assert.True(delivery.Delivered, delivery.Error);
        await Eventually(() => Task.FromResult(portal.Sandbox.Bot.Activities.For(chat).Any(a => a.Text?.Contains("IncidentIo bot", StringComparison.Ordinal) == true)));
        var reply = Assert.Single(portal.Sandbox.Bot.Activities.For(chat));
        Assert.Contains("/settings/announcements", reply.Text, StringComparison.Ordinal);
        Assert.Contains("declare", reply.Text, StringComparison.OrdinalIgnoreCase);
    }

    private static async Task Eventually(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "The expected change did not happen within 20 s.");
            await Task.Delay(100);
        }
    }

    /// <summary>Queued "members removed" work that has finished.</summary>
    private int RemovalJobsDone() =>
        portal.Factory.Services.GetRequiredService<JobStorage>().GetMonitoringApi().SucceededJobs(0, 10_000).Count(j => j.Value.Job?.Type == typeof(TeamMemberRemovals));

    private void AssertDelivered()
    {
        var failed = portal.Sandbox.Bot.Channel.Deliveries().Where(d => !d.Delivered).ToList();
        Assert.True(failed.Count == 0, string.Join("; ", failed.Select(d => $"{d.Type} {string.Join(",", d.Statuses)} {d.Error}")));
    }

    private static string Without(string state, params string[] lines) =>
        string.Join('\n', state.Split('\n').Where(l => !lines.Any(line => l.StartsWith(line + "=", StringComparison.Ordinal))));
}
