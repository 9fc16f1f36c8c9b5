using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IncidentIo.Sandbox.BotFramework;
using IncidentIo.Sandbox.State;
using Microsoft.IdentityModel.JsonWebTokens;

namespace IncidentIo.Sandbox.Tests.BotFramework;

[Collection(SharedBotSandbox.Name)]
public sealed class ConnectorTests(BotFixture fixture)
{
    private static readonly Guid Contoso = DemoSeed.ContosoTenantId;

    [Fact]
    public async Task MSAL_gets_a_connector_token_from_the_botframework_com_authority()
    {
        var result = await fixture.Msal().AcquireTokenForClient(BotFixture.ConnectorScope).ExecuteAsync();

        var token = new JsonWebToken(result.AccessToken);
        Assert.Equal("https://api.botframework.com", token.GetClaim("aud").Value);
        Assert.Equal(fixture.BotId, token.GetClaim("appid").Value);
        Assert.Equal($"https://sts.windows.net/{BotFrameworkSandbox.TenantId}/", token.Issuer);
        Assert.Equal(BotFrameworkSandbox.TenantId.ToString(), token.GetClaim("tid").Value);
    }

    [Fact]
    public async Task A_proactive_message_to_an_installed_user_is_logged()
    {
        var user = Guid.NewGuid();
        fixture.Sandbox.State.AddUser(new User(user, Contoso, $"{user:N}@contoso.example", "Ines Installed"));
        fixture.Directory.InstallForUser(fixture.BotId, Contoso, user);
        using var connector = await fixture.ConnectorAsync();

        using var created = await connector.PostAsJsonAsync("v3/conversations", CreateBody(ConnectorIds.UserId(Contoso, user)));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var conversationId = (await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        Assert.StartsWith("a:", conversationId, StringComparison.Ordinal);

        var card = new JsonArray(new JsonObject { ["contentType"] = "application/vnd.microsoft.card.adaptive", ["content"] = new JsonObject { ["type"] = "AdaptiveCard" } });
        using var sent = await connector.PostAsJsonAsync($"v3/conversations/{conversationId}/activities",
            new JsonObject { ["type"] = "message", ["text"] = "Incident INC-1 declared", ["attachments"] = card });
        Assert.Equal(HttpStatusCode.Created, sent.StatusCode);
        var activityId = (await sent.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();

        var logged = Assert.Single(fixture.Bot.Activities.For(conversationId));
        Assert.Equal((activityId, "message", "Incident INC-1 declared", user, fixture.BotId), (logged.Id, logged.Type, logged.Text, logged.UserId!.Value, logged.BotAppId));
        Assert.Equal("application/vnd.microsoft.card.adaptive", logged.Attachments![0]!["contentType"]!.GetValue<string>());

        var fromApi = await fixture.Sandbox.Http.GetFromJsonAsync<JsonArray>($"/sandbox/api/bot/activities?conversationId={Uri.EscapeDataString(conversationId)}");
        Assert.Equal("Incident INC-1 declared", Assert.Single(fromApi!)!["text"]!.GetValue<string>());

        // Teams keeps one chat per bot and user; an AAD object id names the same user.
        using var again = await connector.PostAsJsonAsync("v3/conversations", CreateBody(user.ToString()));
        Assert.Equal(conversationId, (await again.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_user_without_the_app_is_ForbiddenOperationException()
    {
        using var connector = await fixture.ConnectorAsync();

        using var response = await connector.PostAsJsonAsync("v3/conversations", CreateBody(ConnectorIds.UserId(Contoso, DemoSeed.NoTeamUser1Id)));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var error = (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!;
        Assert.Equal("ForbiddenOperationException", error["code"]!.GetValue<string>());
        Assert.Equal("Bot is not installed in user's personal scope", error["message"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(response.Headers.GetValues("X-Correlating-OperationId").Single()));
    }

    [Fact]
    public async Task A_user_blocked_by_policy_never_has_the_app()
    {
        fixture.Directory.InstallForUser(fixture.BotId, Contoso, DemoSeed.BlockedUserId);
        using var connector = await fixture.ConnectorAsync();

        using var response = await connector.PostAsJsonAsync("v3/conversations", CreateBody(DemoSeed.BlockedUserId.ToString()));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Channel_posts_need_the_app_in_the_team()
    {
        var without = fixture.Team(withApp: false, DemoSeed.AdminId);
        var with = fixture.Team(withApp: true, DemoSeed.AdminId);
        using var connector = await fixture.ConnectorAsync();
        var message = new JsonObject { ["type"] = "message", ["text"] = "hello" };

        using var refused = await connector.PostAsJsonAsync($"v3/conversations/{without.Id}/activities", message);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(
            """{"error":{"code":"BotNotInConversationRoster","message":"The bot is not part of the conversation roster."}}""",
            await refused.Content.ReadAsStringAsync());

        using var unknown = await connector.PostAsJsonAsync("v3/conversations/19:nothing@thread.tacv2/activities", message);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("ConversationNotFound", (await unknown.Content.ReadFromJsonAsync<JsonObject>())!["error"]!["code"]!.GetValue<string>());

        using var posted = await connector.PostAsJsonAsync($"v3/conversations/{with.Id}/activities", message);
        Assert.Equal(HttpStatusCode.Created, posted.StatusCode);
        var postId = (await posted.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        using var reply = await connector.PostAsJsonAsync($"v3/conversations/{with.Id};messageid={postId}/activities", message);
        Assert.Equal(HttpStatusCode.Created, reply.StatusCode);
        Assert.Equal(2, fixture.Bot.Activities.For(with.Id).Count);
        Assert.All(fixture.Bot.Activities.For(with.Id), a => Assert.Equal(with.Id, a.TeamId));
    }

    [Fact]
    public async Task A_slow_send_is_posted_before_it_is_answered_and_stays_posted_when_the_caller_gives_up()
    {
        var team = fixture.Team(withApp: true, DemoSeed.AdminId);
        using var connector = await fixture.ConnectorAsync();
        var message = new JsonObject { ["type"] = "message", ["text"] = "slow" };
        fixture.Bot.SendAnswerDelay = TimeSpan.FromSeconds(2);
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var answered = await connector.PostAsJsonAsync($"v3/conversations/{team.Id}/activities", message);
            Assert.Equal(HttpStatusCode.Created, answered.StatusCode);
            Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(1.9), $"answered after {clock.Elapsed}");

            using var giveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connector.PostAsJsonAsync($"v3/conversations/{team.Id}/activities", message, giveUp.Token));
            Assert.Equal(2, fixture.Bot.Activities.For(team.Id).Count);
        }
        finally
        {
            fixture.Bot.SendAnswerDelay = TimeSpan.Zero;
        }
    }

    [Fact]
    public async Task Paged_members_loop_over_the_whole_roster_without_emails()
    {
        var ids = Enumerable.Range(7, 10).Select(n => new Guid($"c0a7050c-0001-4000-8000-{n:D12}")).Append(DemoSeed.AdminId).Append(DemoSeed.UserId).ToArray();
        var team = fixture.Team(withApp: true, ids);
        using var connector = await fixture.ConnectorAsync();

        var seen = new List<JsonObject>();
        string? token = null;
        var pages = 0;
        do
        {
            var url = $"v3/conversations/{team.Id}/pagedmembers?pageSize=5" + (token is null ? "" : $"&continuationToken={Uri.EscapeDataString(token)}");
            var page = (await connector.GetFromJsonAsync<JsonObject>(url))!;
            seen.AddRange(page["members"]!.AsArray().Select(m => m!.AsObject()));
            token = page["continuationToken"]?.GetValue<string>();
            pages++;
        }
        while (token is not null);

        Assert.Equal(3, pages);
        Assert.Equal(ids.Order(), seen.Select(m => Guid.Parse(m["aadObjectId"]!.GetValue<string>())).Order());
        Assert.All(seen, m =>
        {
            Assert.StartsWith("29:", m["id"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(Contoso.ToString(), m["tenantId"]!.GetValue<string>());
            Assert.Equal("user", m["userRole"]!.GetValue<string>());
            Assert.False(m.ContainsKey("email"));
            Assert.False(m.ContainsKey("userPrincipalName"));
        });

        var adele = seen.Single(m => m["aadObjectId"]!.GetValue<string>() == DemoSeed.AdminId.ToString());
        Assert.Equal(("Adele Admin", "Adele", "Admin"), (adele["name"]!.GetValue<string>(), adele["givenName"]!.GetValue<string>(), adele["surname"]!.GetValue<string>()));
    }

    [Fact]
    public async Task The_unpaged_members_list_and_a_one_to_one_roster()
    {
        var team = fixture.Team(withApp: true, DemoSeed.AdminId, DemoSeed.UserId);
        fixture.Directory.InstallForUser(fixture.BotId, Contoso, DemoSeed.AdminId);
        var chat = fixture.Bot.Conversations.GetOrCreate(fixture.BotId, Contoso, DemoSeed.AdminId);
        using var connector = await fixture.ConnectorAsync();

        var all = await connector.GetFromJsonAsync<JsonArray>($"v3/conversations/{team.Id}/members");
        var personal = await connector.GetFromJsonAsync<JsonObject>($"v3/conversations/{chat.Id}/pagedmembers");

        Assert.Equal(2, all!.Count);
        Assert.Equal(DemoSeed.AdminId.ToString(), Assert.Single(personal!["members"]!.AsArray())!["aadObjectId"]!.GetValue<string>());
        Assert.Null(personal["continuationToken"]);
    }

    [Fact]
    public async Task Team_details_and_channels_for_a_team_with_the_app()
    {
        var team = fixture.Team(withApp: true, DemoSeed.AdminId, DemoSeed.UserId);
        var without = fixture.Team(withApp: false, DemoSeed.AdminId);
        using var connector = await fixture.ConnectorAsync();

        var details = await connector.GetFromJsonAsync<JsonObject>($"v3/teams/{team.Id}");
        var channels = await connector.GetFromJsonAsync<JsonObject>($"v3/teams/{team.Id}/conversations");
        using var refused = await connector.GetAsync($"v3/teams/{without.Id}");

        Assert.Equal((team.Id, team.Name, team.AadGroupId.ToString(), 2), (
            details!["id"]!.GetValue<string>(), details["name"]!.GetValue<string>(), details["aadGroupId"]!.GetValue<string>(), details["memberCount"]!.GetValue<int>()));
        Assert.Equal(team.Id, Assert.Single(channels!["conversations"]!.AsArray())!["id"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Theory]
    [InlineData("teamsId")]
    [InlineData("aadObjectId")]
    [InlineData("upn")]
    public async Task One_member_by_any_of_their_ids(string form)
    {
        var team = fixture.Team(withApp: true, DemoSeed.AdminId, DemoSeed.UserId);
        using var connector = await fixture.ConnectorAsync();
        var memberId = form switch
        {
            "teamsId" => ConnectorIds.UserId(Contoso, DemoSeed.UserId),
            "aadObjectId" => DemoSeed.UserId.ToString(),
            _ => "user@contoso.example",
        };

        var member = await connector.GetFromJsonAsync<JsonObject>($"v3/conversations/{team.Id}/members/{Uri.EscapeDataString(memberId)}");

        Assert.Equal("Uma User", member!["name"]!.GetValue<string>());
        using var missing = await connector.GetAsync($"v3/conversations/{team.Id}/members/{DemoSeed.NoTeamUser1Id}");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Requests_without_a_connector_token_are_401_with_a_correlating_id()
    {
        using var anonymous = new HttpClient(Infrastructure.TestCertificates.Authority.CreateHandler(fixture.Sandbox.Origin)) { BaseAddress = new Uri(fixture.Bot.ServiceUrl) };
        using var response = await anonymous.PostAsJsonAsync("v3/conversations", CreateBody(DemoSeed.UserId.ToString()));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Single(response.Headers.GetValues("X-Correlating-OperationId"));

        // A Graph token is not a connector token.
        var app = fixture.Sandbox.RegisterApp();
        fixture.Sandbox.GrantAdminConsent(app, Contoso);
        anonymous.DefaultRequestHeaders.Authorization = new("Bearer", await fixture.Sandbox.AppTokenAsync(app, Contoso));
        using var graphToken = await anonymous.GetAsync($"v3/conversations/{fixture.Team(true).Id}/pagedmembers");
        Assert.Equal(HttpStatusCode.Unauthorized, graphToken.StatusCode);
    }

    [Fact]
    public async Task An_app_that_is_not_a_bot_is_BotNotRegistered()
    {
        var app = fixture.Sandbox.RegisterApp();
        var token = await fixture.Msal(app.ClientId, app.ClientSecrets[0]).AcquireTokenForClient(BotFixture.ConnectorScope).ExecuteAsync();
        using var client = new HttpClient(Infrastructure.TestCertificates.Authority.CreateHandler(fixture.Sandbox.Origin)) { BaseAddress = new Uri(fixture.Bot.ServiceUrl) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", token.AccessToken);

        using var response = await client.PostAsJsonAsync("v3/conversations", CreateBody(DemoSeed.UserId.ToString()));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("BotNotRegistered", (await response.Content.ReadFromJsonAsync<JsonObject>())!["error"]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Every_response_has_a_correlating_operation_id()
    {
        var team = fixture.Team(withApp: true, DemoSeed.AdminId);
        using var connector = await fixture.ConnectorAsync();

        using var ok = await connector.GetAsync($"v3/conversations/{team.Id}/pagedmembers");
        using var notFound = await connector.GetAsync("v3/conversations/a:unknown/pagedmembers");
        using var noRoute = await connector.GetAsync("v3/nothing-here");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.NotFound, HttpStatusCode.NotFound), (ok.StatusCode, notFound.StatusCode, noRoute.StatusCode));
        var ids = new[] { ok, notFound, noRoute }.Select(r => r.Headers.GetValues("X-Correlating-OperationId").Single()).ToList();
        Assert.Equal(3, ids.Distinct().Count());
    }

    private JsonObject CreateBody(string memberId) => new()
    {
        ["bot"] = new JsonObject { ["id"] = ConnectorIds.BotId(fixture.BotId), ["name"] = "IncidentIo" },
        ["members"] = new JsonArray(new JsonObject { ["id"] = memberId }),
        ["channelData"] = new JsonObject { ["tenant"] = new JsonObject { ["id"] = Contoso.ToString() } },
        ["isGroup"] = false,
    };
}
