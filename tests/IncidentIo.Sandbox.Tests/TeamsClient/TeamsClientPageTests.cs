using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IncidentIo.Sandbox.BotFramework;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.TeamsClient;
using IncidentIo.Sandbox.Tests.Infrastructure;

namespace IncidentIo.Sandbox.Tests.TeamsClient;

/// <summary>The Teams client view's pages over plain HTTP: who is signed in, the rail, posts, tabs, chats.</summary>
public sealed class TeamsClientPageTests
{
    private static readonly Guid Contoso = DemoSeed.ContosoTenantId;

    [Fact]
    public async Task Without_a_user_the_view_asks_who_you_are()
    {
        await using var sandbox = await OwnSandbox.StartAsync();
        using var client = ViewClient(sandbox);

        using var response = await client.GetAsync(TeamsClientUi.Root);
        var html = await response.Content.ReadAsStringAsync();
        using var blank = await client.GetAsync($"{TeamsClientUi.Root}?as=");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, blank.StatusCode);
        Assert.False(blank.Headers.Contains("Set-Cookie"));
        Assert.Contains("<label for=\"email\">Email</label>", html, StringComparison.Ordinal);
        Assert.Contains(">Open Teams</button>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"rail\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_users_get_a_clear_error_and_no_cookie()
    {
        await using var sandbox = await OwnSandbox.StartAsync();
        using var client = ViewClient(sandbox);

        using var response = await client.GetAsync($"{TeamsClientUi.Root}?as=nobody%40contoso.example");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("There is no Sandbox user nobody@contoso.example.", html, StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task Signing_in_sets_the_cookie_and_the_rail_shows_the_users_teams_channels_and_chats()
    {
        await using var sandbox = await OwnSandbox.StartAsync();
        var app = sandbox.Host.PublishTeamsApp(Contoso, "manifest-1", "IncidentIo", "1.0.0", botId: Guid.NewGuid().ToString());
        sandbox.State.Teams.InstallForUser(Contoso, DemoSeed.UserId, app.Id, awaitingTeamsClient: false);
        using var client = ViewClient(sandbox);

        using var signIn = await client.GetAsync($"{TeamsClientUi.Root}?as=user%40contoso.example");
        var cookie = Assert.Single(signIn.Headers.GetValues("Set-Cookie"));
        var html = await GetAsync(client, TeamsClientUi.Root, cookie);

        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.StartsWith($"{TeamsClientUi.UserCookie}={DemoSeed.UserId}", cookie, StringComparison.Ordinal);
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Welcome, Uma User", html, StringComparison.Ordinal);
        Assert.Contains($"data-team-id=\"{TeamsSeed.EngineeringTeamId}\"><h3>Engineering</h3>", html, StringComparison.Ordinal);
        Assert.Contains($"data-team-id=\"{TeamsSeed.OperationsTeamId}\"><h3>Operations</h3>", html, StringComparison.Ordinal);
        Assert.Contains(">General</a>", html, StringComparison.Ordinal);
        Assert.Contains($"data-bot-id=\"{app.BotId}\"", html, StringComparison.Ordinal);
        Assert.Contains(">IncidentIo</a>", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_in_no_team_sees_none_and_cannot_open_other_teams_channels()
    {
        await using var sandbox = await OwnSandbox.StartAsync();
        using var client = ViewClient(sandbox);
        var cookie = await SignInAsync(client, "loner1@contoso.example");
        var general = sandbox.State.Teams.FindTeam(Contoso, TeamsSeed.EngineeringTeamId)!.GeneralChannelId;

        var home = await GetAsync(client, TeamsClientUi.Root, cookie);
        using var other = await SendAsync(client, TeamsClientUi.ChannelUrl(TeamsSeed.EngineeringTeamId, general), cookie);
        using var anonymous = await client.GetAsync(TeamsClientUi.ChannelUrl(TeamsSeed.EngineeringTeamId, general));

        Assert.Contains("You are not in any team.", home, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.Equal(TeamsClientUi.Root, anonymous.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Channel_posts_render_cards_readably_and_escape_everything_the_bot_sent()
    {
        await using var sandbox = await OwnSandbox.StartAsync();
        var team = sandbox.State.Teams.FindTeam(Contoso, TeamsSeed.EngineeringTeamId)!;
        var card = JsonNode.Parse("""
            [{"contentType":"application/vnd.microsoft.card.adaptive","content":{"type":"AdaptiveCard","version":"1.5","body":[
              {"type":"TextBlock","text":"Incident #42 <img src=x onerror=alert(1)>","weight":"Bolder","size":"Large"},
              {"type":"FactSet","facts":[{"title":"Severity","value":"Critical"},{"title":"Lead","value":"Uma User"}]},
              {"type":"ColumnSet","columns":[{"type":"Column","items":[{"type":"TextBlock","text":"Left column"}]},{"type":"Column","items":[{"type":"Container","items":[{"type":"TextBlock","text":"Inside a container"}]}]}]},
              {"type":"Media","sources":[{"url":"https://example.test/video.mp4"}]}],
              "actions":[{"type":"Action.OpenUrl","title":"Open incident","url":"https://portal.test/incidents/42?a=1&b=2"},
                         {"type":"Action.OpenUrl","title":"Sneaky","url":"javascript:alert(1)"},
                         {"type":"Action.Submit","title":"Acknowledge"}]}},
             {"contentType":"application/vnd.microsoft.card.hero","content":{"title":"A hero <b>card</b>"}}]
            """)!.AsArray();
        Post(sandbox, team.GeneralChannelId, "First <script>alert('x')</script>\nsecond line", null, DateTimeOffset.UtcNow.AddMinutes(-1));
        Post(sandbox, team.GeneralChannelId, null, card, DateTimeOffset.UtcNow);
        Post(sandbox, team.GeneralChannelId + ";messageid=1", "A reply in the thread", null, DateTimeOffset.UtcNow.AddMinutes(1));
        using var client = ViewClient(sandbox);
        var cookie = await SignInAsync(client, "user@contoso.example");

        var html = await GetAsync(client, TeamsClientUi.ChannelUrl(team.Id, team.GeneralChannelId), cookie);

        Assert.Equal(3, CountOf(html, "data-testid=\"post\""));
        Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
        Assert.Contains("First &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;<br>second line", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img src=x", html, StringComparison.Ordinal);
        Assert.Contains("<p class=\"text-block bolder size-large\">Incident #42 &lt;img src=x onerror=alert(1)&gt;</p>", html, StringComparison.Ordinal);
        Assert.Contains("<dt>Severity</dt><dd>Critical</dd>", html, StringComparison.Ordinal);
        Assert.Contains("<div class=\"column\"><p class=\"text-block\">Left column</p></div>", html, StringComparison.Ordinal);
        Assert.Contains("<div class=\"container\"><p class=\"text-block\">Inside a container</p></div>", html, StringComparison.Ordinal);
        Assert.Contains("href=\"https://portal.test/incidents/42?a=1&amp;b=2\">Open incident</a>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"javascript:", html, StringComparison.Ordinal);
        Assert.Contains("&quot;url&quot;: &quot;javascript:alert(1)&quot;", html, StringComparison.Ordinal);
        Assert.Contains("disabled>Acknowledge</button>", html, StringComparison.Ordinal);
        Assert.Contains("<pre class=\"unknown-element\">", html, StringComparison.Ordinal);
        Assert.Contains("&quot;Media&quot;", html, StringComparison.Ordinal);
        Assert.Contains("A hero &lt;b&gt;card&lt;/b&gt;", html, StringComparison.Ordinal);
        Assert.True(html.IndexOf("second line", StringComparison.Ordinal) < html.IndexOf("Open incident", StringComparison.Ordinal), "oldest first");
        Assert.True(html.IndexOf("Open incident", StringComparison.Ordinal) < html.IndexOf("A reply in the thread", StringComparison.Ordinal), "newest last");
    }

    [Fact]
    public async Task Pinned_tabs_are_listed_and_selecting_one_hosts_its_content_url_in_an_iframe()
    {
        await using var sandbox = await OwnSandbox.StartAsync();
        var team = sandbox.State.Teams.FindTeam(Contoso, TeamsSeed.EngineeringTeamId)!;
        var app = sandbox.Host.PublishTeamsApp(Contoso, "manifest-1", "IncidentIo", "1.0.0");
        sandbox.State.Teams.InstallInTeam(Contoso, team.Id, app.Id);
        var tab = sandbox.State.Teams.AddTab(team.Id, team.GeneralChannelId, "Incidents <live>", app.Id,
            new TabConfiguration("incidents", "https://portal.test/teams/tab?x=1&y=\"2\"", "https://portal.test/incidents", null));
        var bad = sandbox.State.Teams.AddTab(team.Id, team.GeneralChannelId, "Bad", app.Id, new TabConfiguration("bad", "javascript:alert(1)", null, null));
        using var client = ViewClient(sandbox);
        var cookie = await SignInAsync(client, "user@contoso.example");

        var posts = await GetAsync(client, TeamsClientUi.ChannelUrl(team.Id, team.GeneralChannelId), cookie);
        var hosted = await GetAsync(client, TeamsClientUi.ChannelUrl(team.Id, team.GeneralChannelId, tab.Id), cookie);
        var refused = await GetAsync(client, TeamsClientUi.ChannelUrl(team.Id, team.GeneralChannelId, bad.Id), cookie);
        using var missing = await SendAsync(client, TeamsClientUi.ChannelUrl(team.Id, team.GeneralChannelId, "no-such-tab"), cookie);

        Assert.Contains("data-testid=\"tab-posts\"", posts, StringComparison.Ordinal);
        Assert.Contains($"data-tab-id=\"{tab.Id}\"", posts, StringComparison.Ordinal);
        Assert.Contains(">Incidents &lt;live&gt;</a>", posts, StringComparison.Ordinal);
        Assert.DoesNotContain("<iframe", posts, StringComparison.Ordinal);
        Assert.Contains("<iframe id=\"tab-frame\"", hosted, StringComparison.Ordinal);
        Assert.Contains("src=\"https://portal.test/teams/tab?x=1&amp;y=%222%22\"", hosted, StringComparison.Ordinal);
        Assert.Contains($"sandbox=\"{TeamsClientUi.FrameSandbox}\"", hosted, StringComparison.Ordinal);
        Assert.Contains("allow-scripts allow-same-origin allow-forms allow-popups", TeamsClientUi.FrameSandbox, StringComparison.Ordinal);
        Assert.Contains($"<script src=\"{TeamsHostScript.Path}\"></script>", hosted, StringComparison.Ordinal);
        var config = HostConfig(hosted);
        Assert.Equal("content", config["context"]!["frameContext"]!.GetValue<string>());
        Assert.Equal("incidents", config["context"]!["entityId"]!.GetValue<string>());
        Assert.Equal(app.Id.ToString(), config["teamsAppId"]!.GetValue<string>());
        Assert.DoesNotContain("<iframe", refused, StringComparison.Ordinal);
        Assert.Contains("This tab has no http(s) content URL.", refused, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task The_tab_context_carries_user_team_and_channel_and_cannot_break_out_of_its_script()
    {
        await using var sandbox = await OwnSandbox.StartAsync();
        var owner = sandbox.State.FindUserByUpn("admin@contoso.example")!;
        var team = sandbox.State.Teams.CreateTeam(Contoso, "Ops </script><script>alert(1)</script>", null, [(owner.Id, true)]);
        var app = sandbox.Host.PublishTeamsApp(Contoso, "manifest-1", "IncidentIo", "1.0.0");
        sandbox.State.Teams.InstallInTeam(Contoso, team.Id, app.Id);
        var tab = sandbox.State.Teams.AddTab(team.Id, team.GeneralChannelId, "Incidents", app.Id, new TabConfiguration("e1", "https://portal.test/tab", null, null));
        using var client = ViewClient(sandbox);
        var cookie = await SignInAsync(client, "admin@contoso.example");

        var html = await GetAsync(client, TeamsClientUi.ChannelUrl(team.Id, team.GeneralChannelId, tab.Id), cookie);
        var context = HostConfig(html)["context"]!;

        Assert.DoesNotContain("</script><script>alert", html, StringComparison.Ordinal);
        Assert.Equal(owner.Id.ToString(), context["userObjectId"]!.GetValue<string>());
        Assert.Equal("admin@contoso.example", context["userPrincipalName"]!.GetValue<string>());
        Assert.Equal("admin@contoso.example", context["loginHint"]!.GetValue<string>());
        Assert.Equal(Contoso.ToString(), context["tid"]!.GetValue<string>());
        Assert.Equal(team.GeneralChannelId, context["teamId"]!.GetValue<string>());
        Assert.StartsWith("19:", context["teamId"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(team.Id.ToString(), context["groupId"]!.GetValue<string>());
        Assert.Equal(team.DisplayName, context["teamName"]!.GetValue<string>());
        Assert.Equal(team.GeneralChannelId, context["channelId"]!.GetValue<string>());
        Assert.Equal("General", context["channelName"]!.GetValue<string>());
        Assert.Equal(0, context["userTeamRole"]!.GetValue<int>());
        Assert.Equal("Teams", context["hostName"]!.GetValue<string>());
        Assert.Equal("web", context["hostClientType"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_chat_shows_what_the_bot_sent_to_this_user_only()
    {
        await using var sandbox = await OwnSandbox.StartAsync();
        var botId = Guid.NewGuid().ToString();
        var uma = DemoSeed.UserId;
        var adele = sandbox.State.FindUserByUpn("admin@contoso.example")!.Id;
        sandbox.Host.Bot.Activities.Add(Sent(botId, "a:uma", uma, null, "Hello Uma <b>!</b>", null, DateTimeOffset.UtcNow));
        sandbox.Host.Bot.Activities.Add(Sent(botId, "a:adele", adele, null, "Hello Adele", null, DateTimeOffset.UtcNow));
        using var client = ViewClient(sandbox);
        var cookie = await SignInAsync(client, "user@contoso.example");

        var chat = await GetAsync(client, TeamsClientUi.ChatUrl(botId), cookie);
        using var unknown = await SendAsync(client, TeamsClientUi.ChatUrl(Guid.NewGuid().ToString()), cookie);

        Assert.Contains("Hello Uma &lt;b&gt;!&lt;/b&gt;", chat, StringComparison.Ordinal);
        Assert.DoesNotContain("Hello Adele", chat, StringComparison.Ordinal);
        Assert.Contains("<form method=\"post\"", chat, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Signing_out_forgets_the_user()
    {
        await using var sandbox = await OwnSandbox.StartAsync();
        using var client = ViewClient(sandbox);
        var cookie = await SignInAsync(client, "user@contoso.example");

        using var request = new HttpRequestMessage(HttpMethod.Post, $"{TeamsClientUi.Root}/sign-out");
        request.Headers.Add("Cookie", cookie);
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith($"{TeamsClientUi.UserCookie}=;", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_valid_domains_list_names_the_sandbox_host_for_any_page_to_fetch()
    {
        await using var sandbox = await OwnSandbox.StartAsync();

        using var response = await sandbox.Http.GetAsync($"{TeamsClientUi.Root}/validDomains.json");
        var body = await response.Content.ReadFromJsonAsync<JsonObject>();

        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains(body!["validOrigins"]!.AsArray(), o => o!.GetValue<string>() == new Uri(sandbox.Origin).Authority);
    }

    internal static HttpClient ViewClient(OwnSandbox sandbox) => ViewClient(sandbox.Origin);

    internal static HttpClient ViewClient(string origin) =>
        new(TestCertificates.Authority.CreateTrustingHandler()) { BaseAddress = new Uri(origin) };

    /// <summary>Opens the view as a user and returns the cookie header value to send.</summary>
    internal static async Task<string> SignInAsync(HttpClient client, string upn)
    {
        using var response = await client.GetAsync($"{TeamsClientUi.Root}?as={Uri.EscapeDataString(upn)}");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return response.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
    }

    internal static async Task<HttpResponseMessage> SendAsync(HttpClient client, string path, string cookie, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(content is null ? HttpMethod.Get : HttpMethod.Post, path) { Content = content };
        request.Headers.Add("Cookie", cookie);
        return await client.SendAsync(request);
    }

    internal static async Task<string> GetAsync(HttpClient client, string path, string cookie)
    {
        using var response = await SendAsync(client, path, cookie);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static JsonObject HostConfig(string html)
    {
        const string start = "<script type=\"application/json\" id=\"teams-host-config\">";
        var from = html.IndexOf(start, StringComparison.Ordinal) + start.Length;
        return JsonNode.Parse(html[from..html.IndexOf("</script>", from, StringComparison.Ordinal)])!.AsObject();
    }

    private static void Post(OwnSandbox sandbox, string conversationId, string? text, JsonArray? attachments, DateTimeOffset at) =>
        sandbox.Host.Bot.Activities.Add(Sent("bot-1", conversationId, null, TeamsSeed.EngineeringTeamId.ToString(), text, attachments, at));

    private static SentActivity Sent(string botId, string conversationId, Guid? userId, string? teamId, string? text, JsonArray? attachments, DateTimeOffset at) =>
        new(Guid.NewGuid().ToString(), botId, conversationId, Contoso, userId, teamId, at, "message", text, attachments, null,
            new JsonObject { ["type"] = "message", ["from"] = new JsonObject { ["name"] = "Test bot" } });

    private static int CountOf(string text, string value) => (text.Length - text.Replace(value, "", StringComparison.Ordinal).Length) / value.Length;
}
