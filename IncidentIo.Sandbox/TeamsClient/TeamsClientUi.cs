using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using IncidentIo.Sandbox.BotFramework;
using IncidentIo.Sandbox.Entra;
using IncidentIo.Sandbox.Hosting;
using IncidentIo.Sandbox.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace IncidentIo.Sandbox.TeamsClient;

/// <summary>
/// What a user sees in Teams, at <c>/sandbox/teams</c>: their teams and channels, a channel's posts
/// and pinned tabs (each tab's page in an iframe, answered by the teams-js host protocol in
/// <see cref="TeamsHostScript"/>), "Add a tab" through an app's configuration page, and 1:1 chats
/// with bots. Server-rendered; the signed-in Sandbox user is a cookie at the Sandbox origin.
/// </summary>
public static partial class TeamsClientUi
{
    public const string Root = "/sandbox/teams";
    public const string UserCookie = "sandbox.teams.user";

    /// <summary>What a channel tab's iframe may do; Teams allows these for tabs.</summary>
    public const string FrameSandbox = "allow-scripts allow-same-origin allow-forms allow-popups allow-popups-to-escape-sandbox allow-downloads allow-modals";

    public static void MapTeamsClient(this IEndpointRouteBuilder app)
    {
        app.MapGet(Root, Home);
        app.MapPost($"{Root}/sign-out", SignOut);
        app.MapGet($"{Root}/channels/{{teamId:guid}}/{{channelId}}", ChannelPage);
        app.MapGet($"{Root}/channels/{{teamId:guid}}/{{channelId}}/add-tab", AddTabPage);
        app.MapPost($"{Root}/channels/{{teamId:guid}}/{{channelId}}/tabs", PinTab);
        app.MapPost($"{Root}/channels/{{teamId:guid}}/{{channelId}}/messages", SendInChannel);
        app.MapPost($"{Root}/cards/{{activityId}}/execute", ExecuteCardAction);
        app.MapGet($"{Root}/chats/{{botAppId}}", ChatPage);
        app.MapPost($"{Root}/chats/{{botAppId}}", SendToBot);
        app.MapPost($"{Root}/api/auth-token", AuthToken);
        app.MapGet(TeamsHostScript.Path, () => Results.Text(TeamsHostScript.Source, "text/javascript; charset=utf-8"));
        app.MapGet($"{Root}/validDomains.json", ValidDomains);
    }

    public static string ChannelUrl(Guid teamId, string channelId, string? tabId = null) =>
        $"{Root}/channels/{teamId}/{Uri.EscapeDataString(channelId)}" + (tabId is null ? "" : $"?tab={Uri.EscapeDataString(tabId)}");

    public static string ChatUrl(string botAppId) => $"{Root}/chats/{Uri.EscapeDataString(botAppId)}";

    public static string ExecuteUrl(string activityId) => $"{Root}/cards/{Uri.EscapeDataString(activityId)}/execute";

    // ---- Signing in ----

    private static IResult Home(string? @as, HttpContext http, SandboxRuntime runtime, BotFrameworkSandbox bot)
    {
        if (!string.IsNullOrWhiteSpace(@as))
        {
            if (runtime.State.FindUserByUpn(@as.Trim()) is not { } chosen)
            {
                return Page("Who are you?", null, WhoAreYou(@as, $"There is no Sandbox user {@as}."), StatusCodes.Status404NotFound);
            }

            http.Response.Cookies.Append(UserCookie, chosen.Id.ToString(), new CookieOptions
            {
                HttpOnly = true,
                Secure = true,
                SameSite = SameSiteMode.Lax,
                Path = Root,
            });
            return Results.Redirect(Root);
        }

        if (SignedIn(http, runtime) is not { } user)
        {
            return Page("Who are you?", null, WhoAreYou(null, null));
        }

        var body = new StringBuilder();
        body.Append(CultureInfo.InvariantCulture, $"<h1>Welcome, {E(user.DisplayName)}</h1><p>Pick a channel or a chat on the left.</p>");
        return Page("Teams", Rail(runtime, bot, user), body.ToString());
    }

    private static string WhoAreYou(string? email, string? error) =>
        "<h1>Who are you?</h1>"
        + (error is null ? "" : $"<p class=\"error\" role=\"alert\" id=\"error\">{E(error)}</p>")
        + $"<form method=\"get\" action=\"{Root}\" id=\"who\"><label for=\"email\">Email</label> <input id=\"email\" name=\"as\" type=\"email\" value=\"{E(email ?? "")}\" required> <button type=\"submit\">Open Teams</button></form>";

    private static IResult SignOut(HttpContext http)
    {
        http.Response.Cookies.Delete(UserCookie, new CookieOptions { Path = Root, Secure = true });
        return Results.Redirect(Root, preserveMethod: false);
    }

    /// <summary>The Sandbox user the Teams view is open as, from the cookie; null when none (or unknown).</summary>
    public static User? SignedIn(HttpContext http, SandboxRuntime runtime) =>
        Guid.TryParse(http.Request.Cookies[UserCookie], out var id) ? runtime.State.FindUser(id) : null;

    // ---- Channels ----

    private static IResult ChannelPage(Guid teamId, string channelId, string? tab, string? notice, HttpContext http, SandboxRuntime runtime, BotFrameworkSandbox bot)
    {
        if (SignedIn(http, runtime) is not { } user)
        {
            return Results.Redirect(Root);
        }

        if (Find(runtime, user, teamId, channelId) is not ({ } team, { } channel, { } member))
        {
            return Page("Not found", Rail(runtime, bot, user), "<h1 id=\"error\">No such channel in your teams</h1>", StatusCodes.Status404NotFound);
        }

        var tabs = runtime.State.Teams.Tabs(team.Id, channel.Id);
        var selected = tab is null ? null : tabs.FirstOrDefault(t => t.Id == tab);
        if (tab is not null && selected is null)
        {
            return Page("Not found", Rail(runtime, bot, user), "<h1 id=\"error\">No such tab in this channel</h1>", StatusCodes.Status404NotFound);
        }

        var body = new StringBuilder();
        body.Append(CultureInfo.InvariantCulture, $"<h1 id=\"channel-title\">{E(team.DisplayName)} › {E(channel.DisplayName)}</h1>");
        body.Append("<nav id=\"channel-tabs\" role=\"tablist\">")
            .Append(CultureInfo.InvariantCulture, $"<a role=\"tab\" data-testid=\"tab-posts\" href=\"{E(ChannelUrl(team.Id, channel.Id))}\" aria-selected=\"{Bool(selected is null)}\">Posts</a>");
        foreach (var t in tabs)
        {
            body.Append(CultureInfo.InvariantCulture, $"<a role=\"tab\" data-testid=\"tab\" data-tab-id=\"{E(t.Id)}\" href=\"{E(ChannelUrl(team.Id, channel.Id, t.Id))}\" aria-selected=\"{Bool(selected == t)}\">{E(t.DisplayName)}</a>");
        }

        var configurable = runtime.State.Teams.Installations(InstallationScope.Team, team.Id)
            .Select(i => runtime.State.Teams.FindCatalogApp(team.TenantId, i.TeamsAppId))
            .Where(a => a?.ConfigurationUrl is not null).Select(a => a!).ToList();
        if (configurable.Count > 0)
        {
            body.Append(CultureInfo.InvariantCulture, $"<form method=\"get\" action=\"{E(ChannelUrl(team.Id, channel.Id))}/add-tab\" class=\"inline\" id=\"add-tab-form\"><select name=\"app\" aria-label=\"App\">");
            foreach (var a in configurable)
            {
                body.Append(CultureInfo.InvariantCulture, $"<option value=\"{a.Id}\">{E(a.DisplayName)}</option>");
            }

            body.Append("</select> <button type=\"submit\" id=\"add-tab\">Add a tab</button></form>");
        }

        body.Append("</nav>");
        if (selected is null)
        {
            Notice(body, notice);
            Posts(body, bot, user, bot.Activities.For(channel.Id), OwnChannelMessages(bot, user, channel.Id));
            ChannelComposer(body, runtime, bot, team, channel);
        }
        else if (SafeUrl(selected.Configuration.ContentUrl) is not { } contentUrl)
        {
            body.Append("<p id=\"error\" class=\"error\">This tab has no http(s) content URL.</p>");
        }
        else
        {
            var context = Context(user, team, channel, member, "content", selected.Configuration.EntityId);
            HostedFrame(body, contentUrl, selected.DisplayName, context, selected.TeamsAppId, runtime.State.Teams.FindCatalogApp(team.TenantId, selected.TeamsAppId)?.DisplayName ?? selected.DisplayName, null);
        }

        return Page($"{channel.DisplayName} · {team.DisplayName}", Rail(runtime, bot, user), body.ToString());
    }

    private static IResult AddTabPage(Guid teamId, string channelId, Guid? app, HttpContext http, SandboxRuntime runtime, BotFrameworkSandbox bot)
    {
        if (SignedIn(http, runtime) is not { } user)
        {
            return Results.Redirect(Root);
        }

        if (Find(runtime, user, teamId, channelId) is not ({ } team, { } channel, { } member))
        {
            return Page("Not found", Rail(runtime, bot, user), "<h1 id=\"error\">No such channel in your teams</h1>", StatusCodes.Status404NotFound);
        }

        if (app is not { } appId || InstalledApp(runtime, team, appId) is not { } catalogApp || SafeUrl(catalogApp.ConfigurationUrl) is not { } configurationUrl)
        {
            return Page("Not found", Rail(runtime, bot, user), "<h1 id=\"error\">That app is not in this team or has no configuration page</h1>", StatusCodes.Status404NotFound);
        }

        var body = new StringBuilder();
        body.Append(CultureInfo.InvariantCulture, $"<section role=\"dialog\" aria-labelledby=\"dialog-title\" id=\"add-tab-dialog\"><h1 id=\"dialog-title\">Add {E(catalogApp.DisplayName)} to {E(channel.DisplayName)}</h1>");
        HostedFrame(body, configurationUrl, catalogApp.DisplayName, Context(user, team, channel, member, "settings", null), catalogApp.Id, catalogApp.DisplayName, $"{ChannelUrl(team.Id, channel.Id)}/tabs");
        body.Append(CultureInfo.InvariantCulture, $"<p><button type=\"button\" id=\"save-tab\" disabled>Save</button> <a href=\"{E(ChannelUrl(team.Id, channel.Id))}\" id=\"cancel-tab\">Cancel</a></p></section>");
        return Page($"Add a tab · {channel.DisplayName}", Rail(runtime, bot, user), body.ToString());
    }

    /// <summary>Save in the configuration dialog: pins the tab the page set with <c>pages.config.setConfig</c>.</summary>
    private static IResult PinTab(Guid teamId, string channelId, NewTab body, HttpContext http, SandboxRuntime runtime)
    {
        if (SignedIn(http, runtime) is not { } user)
        {
            return Results.Json(new { error = "Not signed in to the Teams view." }, statusCode: StatusCodes.Status401Unauthorized);
        }

        if (Find(runtime, user, teamId, channelId) is not ({ } team, { } channel, _))
        {
            return Results.Json(new { error = "No such channel in your teams." }, statusCode: StatusCodes.Status404NotFound);
        }

        if (InstalledApp(runtime, team, body.TeamsAppId) is null)
        {
            return Results.Json(new { error = "The app is not installed in this team." }, statusCode: StatusCodes.Status400BadRequest);
        }

        if (SafeUrl(body.ContentUrl) is null)
        {
            return Results.Json(new { error = "The configuration page set no http(s) contentUrl." }, statusCode: StatusCodes.Status400BadRequest);
        }

        var tab = runtime.State.Teams.AddTab(team.Id, channel.Id, string.IsNullOrWhiteSpace(body.DisplayName) ? "Tab" : body.DisplayName.Trim(), body.TeamsAppId,
            new TabConfiguration(body.EntityId, body.ContentUrl, body.WebsiteUrl, body.RemoveUrl));
        return Results.Json(new { location = ChannelUrl(team.Id, channel.Id, tab.Id), tabId = tab.Id });
    }

    public sealed record NewTab(Guid TeamsAppId, string? DisplayName, string? EntityId, string? ContentUrl, string? WebsiteUrl, string? RemoveUrl);

    // ---- SSO ----

    /// <summary>
    /// <c>authentication.getAuthToken</c>: an SSO token for the signed-in user to the tab app's
    /// <c>webApplicationInfo.id</c>. Errors are the strings Teams hands the tab.
    /// </summary>
    private static IResult AuthToken(AuthTokenRequest body, HttpContext http, SandboxRuntime runtime, TokenFactory tokens)
    {
        if (SignedIn(http, runtime) is not { } user)
        {
            return Results.Json(new { error = "Not signed in to the Teams view." }, statusCode: StatusCodes.Status401Unauthorized);
        }

        if (runtime.State.Teams.FindCatalogApp(user.TenantId, body.TeamsAppId) is not { } app)
        {
            return Results.Json(new { error = "The app is not in your organization's catalog." }, statusCode: StatusCodes.Status404NotFound);
        }

        // No webApplicationInfo, or its Entra app does not exist: Teams reports resourceDisabled
        // (the mapping it logs for invalid_resource; for a missing webApplicationInfo the string is not published).
        if (app.AzureAdAppId is not { } clientId || runtime.State.FindApp(clientId) is null)
        {
            return Results.Json(new { error = "resourceDisabled" }, statusCode: StatusCodes.Status400BadRequest);
        }

        return Results.Json(new { token = tokens.TabSsoToken(clientId, user) });
    }

    public sealed record AuthTokenRequest(Guid TeamsAppId);

    /// <summary>
    /// teams-js only believes messages from origins on Microsoft's list (fetched from its CDN) or
    /// given to <c>app.initialize</c>. A browser test routes the CDN's list here to add the Sandbox.
    /// </summary>
    private static IResult ValidDomains(HttpContext http, SandboxRuntime runtime)
    {
        http.Response.Headers.AccessControlAllowOrigin = "*";
        return Results.Json(new { validOrigins = new[] { new Uri(runtime.Origin).Authority, "teams.microsoft.com" } });
    }

    // ---- Chats ----

    private static IResult ChatPage(string botAppId, string? notice, HttpContext http, SandboxRuntime runtime, BotFrameworkSandbox bot) =>
        SignedIn(http, runtime) is not { } user ? Results.Redirect(Root) : Chat(botAppId, user, runtime, bot, null, notice);

    private static IResult Chat(string botAppId, User user, SandboxRuntime runtime, BotFrameworkSandbox bot, string? error, string? notice = null)
    {
        var chats = Chats(runtime, bot, user);
        if (!chats.TryGetValue(botAppId, out var name))
        {
            return Page("Not found", Rail(runtime, bot, user), "<h1 id=\"error\">No such chat</h1>", StatusCodes.Status404NotFound);
        }

        var fromBot = bot.Activities.All().Where(a => a.UserId == user.Id && a.BotAppId.Equals(botAppId, StringComparison.OrdinalIgnoreCase))
            .Select(a => (a.Timestamp, Html: Post(bot, user, a)));
        var fromUser = bot.Channel.Deliveries().Where(d => d.Type == "message" && d.BotAppId.Equals(botAppId, StringComparison.OrdinalIgnoreCase)
                && d.Activity["from"]?["aadObjectId"]?.GetValue<string>() == user.Id.ToString())
            .Select(d => (d.Timestamp, Html: OwnMessage(user, d)));
        var body = new StringBuilder();
        body.Append(CultureInfo.InvariantCulture, $"<h1 id=\"chat-title\">{E(name)}</h1>");
        Notice(body, notice);
        body.Append("<div id=\"messages\">");
        foreach (var (_, html) in fromBot.Concat(fromUser).OrderBy(m => m.Timestamp))
        {
            body.Append(html);
        }

        body.Append("</div>");
        if (error is not null)
        {
            body.Append(CultureInfo.InvariantCulture, $"<p class=\"error\" role=\"alert\" id=\"error\">{E(error)}</p>");
        }

        body.Append(CultureInfo.InvariantCulture, $"<form method=\"post\" action=\"{E(ChatUrl(botAppId))}\" id=\"composer\"><label for=\"message\">Message</label> <input id=\"message\" name=\"text\" required autocomplete=\"off\"> <button type=\"submit\">Send</button></form>");
        return Page(name, Rail(runtime, bot, user), body.ToString(), error is null ? StatusCodes.Status200OK : StatusCodes.Status502BadGateway);
    }

    /// <summary>The composer: the channel posts a signed <c>message</c> activity to the bot, as Teams does.</summary>
    private static async Task<IResult> SendToBot(string botAppId, HttpContext http, SandboxRuntime runtime, BotFrameworkSandbox bot)
    {
        if (SignedIn(http, runtime) is not { } user)
        {
            return Results.Redirect(Root);
        }

        var text = (await http.Request.ReadFormAsync())["text"].ToString();
        if (!Chats(runtime, bot, user).ContainsKey(botAppId) || string.IsNullOrWhiteSpace(text))
        {
            return Chat(botAppId, user, runtime, bot, null);
        }

        if (bot.FindBot(botAppId) is null)
        {
            return Chat(botAppId, user, runtime, bot, "This bot is not registered with the Sandbox's Bot Framework, so nothing can be sent to it.");
        }

        try
        {
            var delivery = await bot.Channel.UserMessageAsync(botAppId, user.TenantId, user.Id, text, http.RequestAborted);
            return delivery.Delivered
                ? Results.Redirect(ChatUrl(botAppId), preserveMethod: false)
                : Chat(botAppId, user, runtime, bot, $"The bot did not accept the message (HTTP {string.Join(", ", delivery.Statuses)}).");
        }
        catch (InvalidOperationException e)
        {
            return Chat(botAppId, user, runtime, bot, e.Message);
        }
    }

    /// <summary>The user's 1:1 chats with bots (app installed for them, or a bot wrote to them), by bot app id.</summary>
    private static Dictionary<string, string> Chats(SandboxRuntime runtime, BotFrameworkSandbox bot, User user)
    {
        var chats = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var install in runtime.State.Teams.Installations(InstallationScope.User, user.Id).Where(i => !i.AwaitingTeamsClient))
        {
            if (runtime.State.Teams.FindCatalogApp(user.TenantId, install.TeamsAppId) is { BotId: { } botId } app)
            {
                chats.TryAdd(botId, app.DisplayName);
            }
        }

        foreach (var sent in bot.Activities.All().Where(a => a.UserId == user.Id))
        {
            chats.TryAdd(sent.BotAppId, bot.FindBot(sent.BotAppId)?.Name ?? sent.BotAppId);
        }

        return chats;
    }

    // ---- Pieces ----

    private static (Team Team, Channel Channel, TeamMember Member)? Find(SandboxRuntime runtime, User user, Guid teamId, string channelId)
    {
        var team = runtime.State.Teams.JoinedTeams(user.Id).FirstOrDefault(t => t.Id == teamId);
        var channel = team is null ? null : runtime.State.Teams.FindChannel(team.Id, channelId);
        var member = team is null ? null : runtime.State.Teams.Members(team.Id).FirstOrDefault(m => m.UserId == user.Id);
        return team is null || channel is null || member is null ? null : (team, channel, member);
    }

    private static CatalogApp? InstalledApp(SandboxRuntime runtime, Team team, Guid teamsAppId) =>
        runtime.State.Teams.Installations(InstallationScope.Team, team.Id).Any(i => i.TeamsAppId == teamsAppId)
            ? runtime.State.Teams.FindCatalogApp(team.TenantId, teamsAppId)
            : null;

    /// <summary>The v1-shaped context Teams answers <c>getContext</c> with; teams-js maps it to <c>app.Context</c>.</summary>
    public static JsonObject Context(User user, Team team, Channel channel, TeamMember member, string frameContext, string? entityId)
    {
        var context = new JsonObject
        {
            ["locale"] = "en-us",
            ["theme"] = "default",
            ["hostName"] = "Teams",
            ["hostClientType"] = "web",
            ["frameContext"] = frameContext,
            ["userObjectId"] = user.Id.ToString(),
            ["userPrincipalName"] = user.UserPrincipalName,
            ["loginHint"] = user.UserPrincipalName,
            ["userDisplayName"] = user.DisplayName,
            ["userLicenseType"] = "Unknown",
            ["tid"] = user.TenantId.ToString(),
            ["tenantSKU"] = "enterprise",
            ["teamId"] = team.GeneralChannelId,
            ["groupId"] = team.Id.ToString(),
            ["teamName"] = team.DisplayName,
            ["teamType"] = 0,
            ["userTeamRole"] = member.IsOwner ? 0 : 1,
            ["isTeamArchived"] = team.IsArchived,
            ["channelId"] = channel.Id,
            ["channelName"] = channel.DisplayName,
            ["channelType"] = "Regular",
            ["appSessionId"] = Guid.NewGuid().ToString(),
            ["sessionId"] = Guid.NewGuid().ToString(),
            ["ringId"] = "general",
        };
        if (entityId is not null)
        {
            context["entityId"] = entityId;
        }

        return context;
    }

    private static void HostedFrame(StringBuilder body, string url, string title, JsonObject context, Guid teamsAppId, string appName, string? saveUrl)
    {
        var config = new JsonObject
        {
            ["context"] = context,
            ["teamsAppId"] = teamsAppId.ToString(),
            ["appName"] = appName,
            ["tokenUrl"] = $"{Root}/api/auth-token",
            ["saveUrl"] = saveUrl,
        };
        body.Append(CultureInfo.InvariantCulture, $"<div id=\"tab-host\"><iframe id=\"tab-frame\" title=\"{E(title)}\" src=\"{E(url)}\" sandbox=\"{FrameSandbox}\" allow=\"clipboard-read; clipboard-write; fullscreen\"></iframe>")
            .Append("<p id=\"host-status\" role=\"status\"></p></div>")
            // The default JSON encoder escapes <, > and &, so nothing in the context can close the script element.
            .Append(CultureInfo.InvariantCulture, $"<script type=\"application/json\" id=\"teams-host-config\">{config.ToJsonString()}</script>")
            .Append(CultureInfo.InvariantCulture, $"<script src=\"{TeamsHostScript.Path}\"></script>");
    }

    /// <summary>The bot's posts and the user's own messages to bots in a channel, oldest first.</summary>
    private static void Posts(StringBuilder body, BotFrameworkSandbox bot, User user, IReadOnlyList<SentActivity> activities, List<DeliveryRecord> own)
    {
        body.Append("<div id=\"posts\">");
        if (activities.Count == 0 && own.Count == 0)
        {
            body.Append("<p id=\"no-posts\">No posts yet.</p>");
        }

        foreach (var (_, html) in activities.Select(a => (a.Timestamp, Html: Post(bot, user, a))).Concat(own.Select(d => (d.Timestamp, Html: OwnMessage(user, d)))).OrderBy(p => p.Timestamp))
        {
            body.Append(html);
        }

        body.Append("</div>");
    }

    /// <summary>A bot's post as <paramref name="user"/> sees it: its card replaced by the bot's answer to their action, if any; Action.Execute wired.</summary>
    private static string Post(BotFrameworkSandbox bot, User user, SentActivity activity)
    {
        var sender = bot.FindBot(activity.BotAppId)?.Name ?? activity.Activity["from"]?["name"]?.GetValue<string>() ?? activity.BotAppId;
        var cards = AdaptiveCardHtml.Attachments(activity.Attachments, ExecuteUrl(activity.Id), bot.CardViews.For(activity.Id, user.Id));
        return $"<article class=\"post\" data-testid=\"post\" data-activity-id=\"{E(activity.Id)}\"><header><span class=\"sender\">{E(sender)}</span> "
            + $"<time datetime=\"{activity.Timestamp.UtcDateTime:O}\">{activity.Timestamp.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC</time></header>"
            + $"<div class=\"text\">{AdaptiveCardHtml.Text(activity.Text)}</div>{cards}</article>";
    }

    private static void Notice(StringBuilder body, string? notice)
    {
        if (!string.IsNullOrWhiteSpace(notice))
        {
            body.Append(CultureInfo.InvariantCulture, $"<p class=\"notice\" role=\"status\" id=\"notice\">{E(notice)}</p>");
        }
    }

    private static string OwnMessage(User user, DeliveryRecord delivery) =>
        $"<article class=\"post own\" data-testid=\"own-message\"><header><span class=\"sender\">{E(user.DisplayName)}</span> "
        + $"<time datetime=\"{delivery.Timestamp.UtcDateTime:O}\">{delivery.Timestamp.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC</time>"
        + (delivery.Delivered ? "" : " <span class=\"error\">not delivered</span>")
        + $"</header><div class=\"text\">{AdaptiveCardHtml.Text(MentionsShown(delivery.Activity["text"]?.GetValue<string>()))}</div></article>";

    /// <summary>How Teams shows a mention: the name after an @, without the markup.</summary>
    private static string? MentionsShown(string? text) =>
        text?.Replace("<at>", "@", StringComparison.Ordinal).Replace("</at>", "", StringComparison.Ordinal);

    private static string Rail(SandboxRuntime runtime, BotFrameworkSandbox bot, User user)
    {
        var html = new StringBuilder("<nav id=\"rail\" aria-label=\"Teams and chats\"><h2>Teams</h2>");
        var teams = runtime.State.Teams.JoinedTeams(user.Id);
        if (teams.Count == 0)
        {
            html.Append("<p id=\"no-teams\">You are not in any team.</p>");
        }

        foreach (var team in teams)
        {
            html.Append(CultureInfo.InvariantCulture, $"<section class=\"team\" data-team-id=\"{team.Id}\"><h3>{E(team.DisplayName)}</h3><ul>");
            foreach (var channel in runtime.State.Teams.Channels(team.Id))
            {
                html.Append(CultureInfo.InvariantCulture, $"<li><a class=\"channel\" data-channel-id=\"{E(channel.Id)}\" href=\"{E(ChannelUrl(team.Id, channel.Id))}\">{E(channel.DisplayName)}</a></li>");
            }

            html.Append("</ul></section>");
        }

        html.Append("<h2>Chats</h2><ul id=\"chats\">");
        foreach (var (botAppId, name) in Chats(runtime, bot, user).OrderBy(c => c.Value, StringComparer.Ordinal))
        {
            html.Append(CultureInfo.InvariantCulture, $"<li><a class=\"chat\" data-bot-id=\"{E(botAppId)}\" href=\"{E(ChatUrl(botAppId))}\">{E(name)}</a></li>");
        }

        html.Append("</ul></nav>");
        return html.ToString();
    }

    private static string? SafeUrl(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp) ? uri.AbsoluteUri : null;

    private static string Bool(bool value) => value ? "true" : "false";

    private static string E(string value) => WebUtility.HtmlEncode(value);

    private static IResult Page(string title, string? rail, string body, int status = StatusCodes.Status200OK)
    {
        var user = rail is null ? "" : $"<form method=\"post\" action=\"{Root}/sign-out\" class=\"inline\"><button type=\"submit\" id=\"sign-out\">Sign out</button></form>";
        return Results.Content(
            $"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{E(title)} · Sandbox Teams</title><style>{Style}</style></head>"
            + $"<body><header><a href=\"{Root}\">Microsoft Teams</a> <span>Sandbox client view</span> {user}</header><div class=\"layout\">{rail}<main>{body}</main></div></body></html>",
            "text/html; charset=utf-8",
            Encoding.UTF8,
            status);
    }

    private const string Style =
        "*{box-sizing:border-box}body{margin:0;font-family:Segoe UI,system-ui,sans-serif;color:#242424;background:#f5f5f5}header{background:#464775;color:#fff;padding:8px 20px;display:flex;gap:10px;align-items:center}"
        + "header a{color:#fff;font-weight:600;text-decoration:none}header span{opacity:.8;font-size:small;flex:1}.layout{display:flex;min-height:calc(100vh - 44px)}"
        + "#rail{width:260px;background:#ebebeb;padding:8px 16px;flex-shrink:0}#rail h2{font-size:14px;text-transform:uppercase;color:#616161}#rail h3{font-size:15px;margin:8px 0 4px}"
        + "#rail ul{list-style:none;padding-left:8px;margin:0}#rail a{color:#242424;text-decoration:none;display:block;padding:3px 0}main{flex:1;padding:12px 24px;min-width:0}"
        + "#channel-tabs{display:flex;gap:16px;align-items:center;border-bottom:1px solid #e0e0e0;margin-bottom:12px}#channel-tabs a{padding:6px 0;color:#424242;text-decoration:none}"
        + "#channel-tabs a[aria-selected=true]{border-bottom:3px solid #5b5fc7;font-weight:600}.post{background:#fff;border-radius:6px;margin:10px 0;padding:10px 14px;box-shadow:0 1px 2px rgba(0,0,0,.1)}"
        + ".post.own{background:#e8ebfa;margin-left:80px}.sender{font-weight:600}time{color:#616161;font-size:12px;margin-left:6px}.adaptive-card{border:1px solid #e0e0e0;border-radius:4px;padding:8px 12px;margin-top:8px}"
        + ".text-block{margin:4px 0}.bolder{font-weight:700}.size-medium{font-size:17px}.size-large{font-size:20px}.size-extralarge{font-size:24px}.fact-set{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}"
        + ".fact-set dt{font-weight:600}.fact-set dd{margin:0}.column-set{display:flex;gap:12px}.column{flex:1}.actions{display:flex;gap:8px;margin-top:8px}.action{border:1px solid #d1d1d1;border-radius:4px;padding:4px 10px;color:#5b5fc7;background:#fff}"
        + "pre{font-size:12px;background:#f0f0f8;padding:6px;white-space:pre-wrap}#tab-frame{width:100%;height:70vh;border:1px solid #e0e0e0;background:#fff}"
        + "button{background:#5b5fc7;color:#fff;border:0;border-radius:4px;padding:6px 14px;cursor:pointer}button:disabled{background:#c7c7c7}.inline{margin:0;display:inline}.error{color:#c4314b}"
        + "#composer,#channel-composer{margin-top:16px;display:flex;gap:8px;align-items:center}#composer input,#channel-composer input{flex:1;padding:6px}"
        + ".card-label{display:block;font-weight:600;margin-top:6px}.card-input{width:100%;padding:5px;margin:2px 0}.notice{background:#fff4ce;padding:6px 10px;border-radius:4px}";
}
