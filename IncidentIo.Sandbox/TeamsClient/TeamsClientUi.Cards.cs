using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using IncidentIo.Sandbox.BotFramework;
using IncidentIo.Sandbox.Hosting;
using IncidentIo.Sandbox.State;
using Microsoft.AspNetCore.Http;

namespace IncidentIo.Sandbox.TeamsClient;

/// <summary>
/// Talking to bots in the Teams view beyond the 1:1 chat: a channel post that @mentions a bot of
/// the team, and a card's <c>Action.Execute</c> sent back to the bot as an invoke, its answer
/// shown as Teams shows it.
/// </summary>
public static partial class TeamsClientUi
{
    /// <summary>Bots of apps installed in the team that the Sandbox can deliver to: the ones a channel post can @mention.</summary>
    private static List<(string BotAppId, string Name)> MentionableBots(SandboxRuntime runtime, BotFrameworkSandbox bot, Team team) =>
        [.. runtime.State.Teams.Installations(InstallationScope.Team, team.Id)
            .Select(i => runtime.State.Teams.FindCatalogApp(team.TenantId, i.TeamsAppId)?.BotId)
            .OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase)
            .Select(id => bot.FindBot(id)).OfType<BotRegistration>()
            .Select(b => (b.AppId, b.Name))];

    private static void ChannelComposer(StringBuilder body, SandboxRuntime runtime, BotFrameworkSandbox bot, Team team, Channel channel)
    {
        var bots = MentionableBots(runtime, bot, team);
        if (bots.Count == 0)
        {
            return;
        }

        body.Append(CultureInfo.InvariantCulture, $"<form method=\"post\" action=\"{E(ChannelUrl(team.Id, channel.Id))}/messages\" id=\"channel-composer\"><label for=\"mention\">Message</label> <select id=\"mention\" name=\"bot\" aria-label=\"Mention\">");
        foreach (var (botAppId, name) in bots)
        {
            body.Append(CultureInfo.InvariantCulture, $"<option value=\"{E(botAppId)}\">@{E(name)}</option>");
        }

        body.Append("</select> <input id=\"message\" name=\"text\" required autocomplete=\"off\"> <button type=\"submit\">Send</button></form>");
    }

    /// <summary>What the user said to bots in this channel (the channel delivered it): shown as their posts.</summary>
    private static List<DeliveryRecord> OwnChannelMessages(BotFrameworkSandbox bot, User user, string channelId) =>
        [.. bot.Channel.Deliveries().Where(d => d.Type == "message"
            && d.Activity["channelData"]?["channel"]?["id"]?.GetValue<string>() == channelId
            && d.Activity["from"]?["aadObjectId"]?.GetValue<string>() == user.Id.ToString())];

    /// <summary>The channel composer: a post that @mentions the chosen bot, delivered to it as Teams does.</summary>
    private static async Task<IResult> SendInChannel(Guid teamId, string channelId, HttpContext http, SandboxRuntime runtime, BotFrameworkSandbox bot)
    {
        if (SignedIn(http, runtime) is not { } user)
        {
            return Results.Redirect(Root);
        }

        if (Find(runtime, user, teamId, channelId) is not ({ } team, { } channel, _))
        {
            return Page("Not found", Rail(runtime, bot, user), "<h1 id=\"error\">No such channel in your teams</h1>", StatusCodes.Status404NotFound);
        }

        var form = await http.Request.ReadFormAsync();
        var botAppId = form["bot"].ToString();
        var text = form["text"].ToString();
        if (string.IsNullOrWhiteSpace(text) || !MentionableBots(runtime, bot, team).Any(b => b.BotAppId.Equals(botAppId, StringComparison.OrdinalIgnoreCase)))
        {
            return Redirect(ChannelUrl(team.Id, channel.Id), "Nothing was sent: write a message to a bot of this team.");
        }

        var delivery = await bot.Channel.ChannelMentionAsync(botAppId, channel.Id, user.Id, text.Trim(), http.RequestAborted);
        return Redirect(ChannelUrl(team.Id, channel.Id), delivery.Delivered ? null : $"The bot did not accept the message (HTTP {string.Join(", ", delivery.Statuses)}).");
    }

    /// <summary>
    /// A card's Action.Execute pressed: the inputs merged into the action's data and sent to the bot
    /// as an <c>adaptiveCard/action</c> invoke. Teams then shows the bot's answer: a card in place of
    /// this one (for this person), or a message.
    /// https://learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/universal-actions-for-adaptive-cards/work-with-universal-actions-for-adaptive-cards
    /// </summary>
    private static async Task<IResult> ExecuteCardAction(string activityId, HttpContext http, SandboxRuntime runtime, BotFrameworkSandbox bot)
    {
        if (SignedIn(http, runtime) is not { } user)
        {
            return Results.Redirect(Root);
        }

        // Only a card this person can see: in a channel of one of their teams, or in their own chat.
        var sent = bot.Activities.All().FirstOrDefault(a => a.Id == activityId);
        var team = sent?.TeamId is { } teamThread ? runtime.State.Teams.JoinedTeams(user.Id).FirstOrDefault(t => t.GeneralChannelId == teamThread) : null;
        if (sent is null || (sent.TeamId is null ? sent.UserId != user.Id : team is null))
        {
            return Page("Not found", Rail(runtime, bot, user), "<h1 id=\"error\">No such card</h1>", StatusCodes.Status404NotFound);
        }

        var back = team is null ? ChatUrl(sent.BotAppId) : ChannelUrl(team.Id, ConnectorIds.Thread(sent.ConversationId));
        var card = bot.CardViews.For(sent.Id, user.Id)
            ?? sent.Attachments?.OfType<JsonObject>().FirstOrDefault(a => a["contentType"]?.GetValue<string>() == AdaptiveCardHtml.AdaptiveCardContentType)?["content"] as JsonObject;
        var form = await http.Request.ReadFormAsync();
        var actions = card is null ? [] : AdaptiveCardHtml.ExecuteActions(card);
        if (card is null || !int.TryParse(form[AdaptiveCardHtml.ActionField], NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= actions.Count)
        {
            return Redirect(back, "That card has no such action.");
        }

        var action = actions[index];
        var data = action["data"] is JsonObject given ? (JsonObject)given.DeepClone() : [];
        foreach (var id in AdaptiveCardHtml.InputIds(card))
        {
            data[id] = form[AdaptiveCardHtml.InputPrefix + id].ToString();
        }

        var delivery = await bot.Channel.CardActionAsync(sent, user.Id, action, data, http.RequestAborted);
        return Redirect(back, Shown(bot, sent, user, delivery));
    }

    /// <summary>What Teams does with the invoke's answer: a card replaces this one for the person; a message or error is shown.</summary>
    private static string? Shown(BotFrameworkSandbox bot, SentActivity sent, User user, DeliveryRecord delivery)
    {
        if (!delivery.Delivered)
        {
            return $"The bot did not answer the action (HTTP {string.Join(", ", delivery.Statuses)}).";
        }

        JsonObject? answer;
        try
        {
            answer = JsonNode.Parse(delivery.ResponseBody ?? "") as JsonObject;
        }
        catch (System.Text.Json.JsonException)
        {
            answer = null;
        }

        switch (answer?["type"]?.GetValue<string>())
        {
            case AdaptiveCardHtml.AdaptiveCardContentType when answer["value"] is JsonObject card:
                bot.CardViews.Replace(sent.Id, user.Id, (JsonObject)card.DeepClone());
                return null;
            case "application/vnd.microsoft.activity.message":
                return answer["value"]?.ToString();
            case "application/vnd.microsoft.error":
                return $"The bot could not do that: {answer["value"]?["message"]}";
            default:
                return "The bot's answer to the action could not be read.";
        }
    }

    private static IResult Redirect(string url, string? notice) =>
        Results.Redirect(notice is null ? url : $"{url}{(url.Contains('?', StringComparison.Ordinal) ? '&' : '?')}notice={Uri.EscapeDataString(notice)}", preserveMethod: false);
}
