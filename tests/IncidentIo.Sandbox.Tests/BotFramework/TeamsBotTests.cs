using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IncidentIo.Sandbox.BotFramework;
using IncidentIo.Sandbox.State;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;

namespace IncidentIo.Sandbox.Tests.BotFramework;

/// <summary>
/// Teams state and the bot side together: installs through Graph and membership changes through the
/// control API reach the bot as signed activities, and the connector answers from Teams state.
/// </summary>
[Collection(TeamsBotSandbox.Name)]
public sealed class TeamsBotTests(TeamsBotFixture fixture)
{
    private static readonly Guid Contoso = DemoSeed.ContosoTenantId;

    [Fact]
    public async Task Microsofts_metadata_url_reaches_the_sandbox()
    {
        var metadata = await fixture.Sandbox.Http.GetFromJsonAsync<JsonObject>(BotFrameworkSandbox.ProductionOpenIdMetadataUrl);
        Assert.Equal("https://api.botframework.com", metadata!["issuer"]!.GetValue<string>());
        Assert.Equal($"{fixture.Sandbox.Origin}/v1/.well-known/keys", metadata["jwks_uri"]!.GetValue<string>());

        var keys = await fixture.Sandbox.Http.GetFromJsonAsync<JsonObject>("https://login.botframework.com/v1/.well-known/keys");
        Assert.Equal(fixture.Bot.ChannelKeys.Current.KeyId, keys!["keys"]!.AsArray().Last()!["kid"]!.GetValue<string>());
    }

    [Fact]
    public async Task Installing_in_a_team_through_Graph_then_membership_changes_then_removal_reach_the_bot()
    {
        var graph = fixture.Graph();
        var team = TeamsSeed.EngineeringTeamId;
        var threadId = fixture.Sandbox.State.Teams.FindTeam(Contoso, team)!.GeneralChannelId;
        using var connector = await fixture.ConnectorAsync();
        using var before = await connector.GetAsync($"v3/conversations/{Uri.EscapeDataString(threadId)}/pagedmembers");
        Assert.Equal(HttpStatusCode.Forbidden, before.StatusCode);

        await graph.Teams[team.ToString()].InstalledApps.PostAsync(new TeamsAppInstallation { AdditionalData = Bind(fixture.App.Id) });
        var installed = await DeliveredAsync(2);

        var install = installed[0];
        Assert.Equal(("installationUpdate", "add"), (Text(install, "type"), Text(install, "action")));
        Assert.Equal(threadId, install["conversation"]!["id"]!.GetValue<string>());
        Assert.Equal(threadId, install["channelData"]!["team"]!["id"]!.GetValue<string>());
        Assert.Equal(Contoso.ToString(), install["channelData"]!["tenant"]!["id"]!.GetValue<string>());
        Assert.Equal(DemoSeed.AdminId.ToString(), install["from"]!["aadObjectId"]!.GetValue<string>());
        Assert.Equal($"28:{fixture.BotId}", install["recipient"]!["id"]!.GetValue<string>());
        Assert.Equal("teamMemberAdded", installed[1]["channelData"]!["eventType"]!.GetValue<string>());
        Assert.Equal($"28:{fixture.BotId}", installed[1]["membersAdded"]![0]!["id"]!.GetValue<string>());

        var roster = await connector.GetFromJsonAsync<JsonObject>($"v3/conversations/{Uri.EscapeDataString(threadId)}/pagedmembers");
        var members = roster!["members"]!.AsArray().Select(m => m!["aadObjectId"]!.GetValue<string>()).ToList();
        Assert.Equal(fixture.Sandbox.State.Teams.Members(team).Select(m => m.UserId.ToString()), members);
        var details = await connector.GetFromJsonAsync<JsonObject>($"v3/teams/{Uri.EscapeDataString(threadId)}");
        Assert.Equal(("Engineering", team.ToString()), (details!["name"]!.GetValue<string>(), details["aadGroupId"]!.GetValue<string>()));

        var tenantApi = $"/sandbox/api/tenants/{Contoso}/teams/{team}/members";
        using (var added = await fixture.Sandbox.Http.PostAsJsonAsync(tenantApi, new { user = "loner1@contoso.example" }))
        {
            Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        }

        var joined = Assert.Single(await DeliveredAsync(1));
        Assert.Equal(("conversationUpdate", "teamMemberAdded"), (Text(joined, "type"), joined["channelData"]!["eventType"]!.GetValue<string>()));
        Assert.Equal(
            (ConnectorIds.UserId(Contoso, DemoSeed.NoTeamUser1Id), DemoSeed.NoTeamUser1Id.ToString()),
            (joined["membersAdded"]![0]!["id"]!.GetValue<string>(), joined["membersAdded"]![0]!["aadObjectId"]!.GetValue<string>()));

        using (var removed = await fixture.Sandbox.Http.DeleteAsync($"{tenantApi}/{DemoSeed.NoTeamUser1Id}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }

        var left = Assert.Single(await DeliveredAsync(1));
        Assert.Equal("teamMemberRemoved", left["channelData"]!["eventType"]!.GetValue<string>());
        Assert.Equal(DemoSeed.NoTeamUser1Id.ToString(), left["membersRemoved"]![0]!["aadObjectId"]!.GetValue<string>());

        var installation = Assert.Single((await graph.Teams[team.ToString()].InstalledApps.GetAsync(r => r.QueryParameters.Filter = $"teamsApp/id eq '{fixture.App.Id}'"))!.Value!);
        await graph.Teams[team.ToString()].InstalledApps[installation.Id].DeleteAsync();
        var uninstalled = await DeliveredAsync(2);

        Assert.Equal(("installationUpdate", "remove"), (Text(uninstalled[0], "type"), Text(uninstalled[0], "action")));
        Assert.Equal(threadId, uninstalled[0]["conversation"]!["id"]!.GetValue<string>());
        Assert.Equal($"28:{fixture.BotId}", uninstalled[1]["membersRemoved"]![0]!["id"]!.GetValue<string>());
        using var after = await connector.PostAsJsonAsync($"v3/conversations/{Uri.EscapeDataString(threadId)}/activities", new JsonObject { ["type"] = "message", ["text"] = "hi" });
        Assert.Equal(HttpStatusCode.Forbidden, after.StatusCode);
    }

    [Fact]
    public async Task Installing_for_a_user_through_Graph_lets_the_bot_open_a_chat_with_them()
    {
        var user = DemoSeed.UserId;
        using var connector = await fixture.ConnectorAsync();
        using var refused = await connector.PostAsJsonAsync("v3/conversations", CreateBody(user));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("ForbiddenOperationException", (await refused.Content.ReadFromJsonAsync<JsonObject>())!["error"]!["code"]!.GetValue<string>());

        var graph = fixture.Graph();
        await graph.Users[user.ToString()].Teamwork.InstalledApps.PostAsync(new UserScopeTeamsAppInstallation { AdditionalData = Bind(fixture.App.Id) });
        var installed = await DeliveredAsync(2);

        Assert.Equal(("installationUpdate", "add", "personal"), (Text(installed[0], "type"), Text(installed[0], "action"), installed[0]["conversation"]!["conversationType"]!.GetValue<string>()));
        Assert.Equal(user.ToString(), installed[0]["from"]!["aadObjectId"]!.GetValue<string>());
        using var created = await connector.PostAsJsonAsync("v3/conversations", CreateBody(user));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(installed[0]["conversation"]!["id"]!.GetValue<string>(), (await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());

        var installation = Assert.Single((await graph.Users[user.ToString()].Teamwork.InstalledApps.GetAsync(r => r.QueryParameters.Filter = $"teamsApp/id eq '{fixture.App.Id}'"))!.Value!);
        await graph.Users[user.ToString()].Teamwork.InstalledApps[installation.Id].DeleteAsync();
        var removed = Assert.Single(await DeliveredAsync(1));

        Assert.Equal(("installationUpdate", "remove"), (Text(removed, "type"), Text(removed, "action")));
        using var again = await connector.PostAsJsonAsync("v3/conversations", CreateBody(user));
        Assert.Equal(HttpStatusCode.Forbidden, again.StatusCode);
    }

    [Fact]
    public async Task A_user_blocked_by_policy_stays_out_of_reach()
    {
        var blocked = DemoSeed.BlockedUserId;
        var deliveries = fixture.Bot.Channel.Deliveries().Count;

        var error = await Assert.ThrowsAsync<ODataError>(() =>
            fixture.Graph().Users[blocked.ToString()].Teamwork.InstalledApps.PostAsync(new UserScopeTeamsAppInstallation { AdditionalData = Bind(fixture.App.Id) }));
        // Even an install that got into Teams state (say, before the policy) does not make them reachable.
        fixture.Sandbox.State.Teams.InstallForUser(Contoso, blocked, fixture.App.Id, awaitingTeamsClient: false);
        await fixture.Bot.Relay.WhenIdleAsync();
        using var connector = await fixture.ConnectorAsync();
        using var refused = await connector.PostAsJsonAsync("v3/conversations", CreateBody(blocked));

        Assert.Equal(403, error.ResponseStatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(deliveries, fixture.Bot.Channel.Deliveries().Count);
    }

    [Fact]
    public async Task A_deferred_install_reaches_the_bot_when_the_user_first_opens_Teams()
    {
        var user = DemoSeed.NeverOpenedTeamsUserId;
        var deliveries = fixture.Bot.Channel.Deliveries().Count;
        await fixture.Graph().Users[user.ToString()].Teamwork.InstalledApps.PostAsync(new UserScopeTeamsAppInstallation { AdditionalData = Bind(fixture.App.Id) });
        await fixture.Bot.Relay.WhenIdleAsync();
        using var connector = await fixture.ConnectorAsync();
        using var waiting = await connector.PostAsJsonAsync("v3/conversations", CreateBody(user));

        Assert.Equal(deliveries, fixture.Bot.Channel.Deliveries().Count);
        Assert.Equal(HttpStatusCode.Forbidden, waiting.StatusCode);

        using (var opened = await fixture.Sandbox.Http.PostAsync($"/sandbox/api/tenants/{Contoso}/users/{user}/open-teams", null))
        {
            Assert.Equal(HttpStatusCode.NoContent, opened.StatusCode);
        }

        var installed = await DeliveredAsync(2);
        using var created = await connector.PostAsJsonAsync("v3/conversations", CreateBody(user));
        Assert.Equal(("installationUpdate", user.ToString()), (Text(installed[0], "type"), installed[0]["from"]!["aadObjectId"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }

    [Fact]
    public async Task Without_a_messaging_endpoint_Teams_changes_are_not_sent()
    {
        var deliveries = fixture.Bot.Channel.Deliveries().Count;
        fixture.Bot.Channel.Endpoint = null;
        try
        {
            Assert.True(fixture.Sandbox.State.Teams.AddMember(TeamsSeed.OperationsTeamId, DemoSeed.NoTeamUser2Id));
            var installation = fixture.Sandbox.State.Teams.InstallInTeam(Contoso, TeamsSeed.OperationsTeamId, fixture.App.Id)!;
            await fixture.Bot.Relay.WhenIdleAsync();

            Assert.Equal(deliveries, fixture.Bot.Channel.Deliveries().Count);

            // Left as found: members of a team with the bot can be messaged, which other tests rely on not being so.
            fixture.Sandbox.State.Teams.Uninstall(InstallationScope.Team, TeamsSeed.OperationsTeamId, installation.Id);
            fixture.Sandbox.State.Teams.RemoveMember(TeamsSeed.OperationsTeamId, DemoSeed.NoTeamUser2Id);
            await fixture.Bot.Relay.WhenIdleAsync();
        }
        finally
        {
            fixture.Bot.Channel.Endpoint = fixture.Endpoint.Endpoint;
        }
    }

    [Fact]
    public async Task A_member_of_a_team_with_the_bot_can_be_messaged_without_a_personal_install_until_the_app_leaves_the_team()
    {
        // send-proactive-messages: the app must be installed for the user, or the user in a team where it is installed.
        var member = DemoSeed.NoTeamUser1Id;
        using var connector = await fixture.ConnectorAsync();
        using (var before = await connector.PostAsJsonAsync("v3/conversations", CreateBody(member)))
        {
            Assert.Equal(HttpStatusCode.Forbidden, before.StatusCode);
        }

        var team = fixture.Sandbox.State.Teams.CreateTeam(Contoso, $"Reach {Guid.NewGuid():N}", null, [(DemoSeed.AdminId, true), (member, false)]);
        var installation = fixture.Sandbox.State.Teams.InstallInTeam(Contoso, team.Id, fixture.App.Id)!;
        await fixture.Bot.Relay.WhenIdleAsync();

        using var created = await connector.PostAsJsonAsync("v3/conversations", CreateBody(member));
        using var outsider = await connector.PostAsJsonAsync("v3/conversations", CreateBody(DemoSeed.NoTeamUser2Id));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var conversationId = (await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        using (var sent = await connector.PostAsJsonAsync($"v3/conversations/{Uri.EscapeDataString(conversationId)}/activities", new JsonObject { ["type"] = "message", ["text"] = "INC-7 needs you" }))
        {
            Assert.Equal(HttpStatusCode.Created, sent.StatusCode);
        }

        Assert.Empty(fixture.Sandbox.State.Teams.Installations(InstallationScope.User, member));
        Assert.Equal(HttpStatusCode.Forbidden, outsider.StatusCode);
        Assert.Equal("ForbiddenOperationException", (await outsider.Content.ReadFromJsonAsync<JsonObject>())!["error"]!["code"]!.GetValue<string>());

        fixture.Sandbox.State.Teams.Uninstall(InstallationScope.Team, team.Id, installation.Id);
        await fixture.Bot.Relay.WhenIdleAsync();
        using var again = await connector.PostAsJsonAsync("v3/conversations", CreateBody(member));
        using var blocked = await connector.PostAsJsonAsync($"v3/conversations/{Uri.EscapeDataString(conversationId)}/activities", new JsonObject { ["type"] = "message", ["text"] = "again" });

        Assert.Equal(HttpStatusCode.Forbidden, again.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, blocked.StatusCode);
        Assert.Contains("MessageWritesBlocked", (await blocked.Content.ReadFromJsonAsync<JsonObject>())!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_blocked_by_policy_in_a_team_with_the_bot_is_reachable_unless_the_tenant_says_the_policy_stops_that_too()
    {
        var blocked = DemoSeed.BlockedUserId;
        var team = fixture.Sandbox.State.Teams.CreateTeam(Contoso, $"Blocked reach {Guid.NewGuid():N}", null, [(DemoSeed.AdminId, true), (blocked, false)]);
        var installation = fixture.Sandbox.State.Teams.InstallInTeam(Contoso, team.Id, fixture.App.Id)!;
        await fixture.Bot.Relay.WhenIdleAsync();
        using var connector = await fixture.ConnectorAsync();
        try
        {
            using var reached = await connector.PostAsJsonAsync("v3/conversations", CreateBody(blocked));
            fixture.Sandbox.State.Teams.Configure(Contoso, s => s with { PolicyBlockStopsTeamRoute = true });
            using var stopped = await connector.PostAsJsonAsync("v3/conversations", CreateBody(blocked));

            Assert.Equal(HttpStatusCode.Created, reached.StatusCode);
            Assert.Equal(HttpStatusCode.Forbidden, stopped.StatusCode);
        }
        finally
        {
            fixture.Sandbox.State.Teams.Configure(Contoso, s => s with { PolicyBlockStopsTeamRoute = false });
            fixture.Sandbox.State.Teams.Uninstall(InstallationScope.Team, team.Id, installation.Id);
            await fixture.Bot.Relay.WhenIdleAsync();
        }
    }

    /// <summary>Waits for the deliveries the last change queued and answers the newest <paramref name="count"/> the bot accepted, oldest first.</summary>
    private async Task<IReadOnlyList<JsonObject>> DeliveredAsync(int count)
    {
        await fixture.Bot.Relay.WhenIdleAsync();
        var records = fixture.Bot.Channel.Deliveries().TakeLast(count).ToList();
        Assert.Equal(count, records.Count);
        Assert.All(records, r => Assert.True(r.Delivered, r.Error));
        return [.. records.Select(r => fixture.Endpoint.Received.Single(a => Text(a, "id") == r.ActivityId))];
    }

    private static Dictionary<string, object> Bind(Guid catalogId) =>
        new() { ["teamsApp@odata.bind"] = $"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/{catalogId}" };

    private static JsonObject CreateBody(Guid userId) => new()
    {
        ["members"] = new JsonArray(new JsonObject { ["id"] = ConnectorIds.UserId(Contoso, userId) }),
        ["channelData"] = new JsonObject { ["tenant"] = new JsonObject { ["id"] = Contoso.ToString() } },
    };

    private static string? Text(JsonObject activity, string name) => activity[name]?.GetValue<string>();
}
