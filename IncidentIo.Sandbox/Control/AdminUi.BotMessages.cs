using System.Globalization;
using System.Text;
using IncidentIo.Sandbox.BotFramework;
using IncidentIo.Sandbox.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace IncidentIo.Sandbox.Control;

/// <summary>
/// <c>/sandbox/bot</c>: every message a bot sent through the connector, grouped by conversation
/// the way Teams shows a chat or a channel, newest conversation first.
/// </summary>
public static partial class AdminUi
{
    private const string ConversationStyle =
        "<style>.conversation{background:#fff;border-radius:6px;margin-bottom:16px;padding:12px 16px;box-shadow:0 1px 2px rgba(0,0,0,.1)}"
        + ".message{border-left:3px solid #5b5fc7;margin:10px 0;padding:4px 10px}.meta{font-size:12px;color:#666}"
        + ".card{font-size:12px;background:#f0f0f8;padding:6px;white-space:pre-wrap}</style>";

    public static void MapBotMessagesPage(this IEndpointRouteBuilder app) => app.MapGet($"{Root}/bot", BotMessages);

    private static IResult BotMessages(Guid? tenant, BotFrameworkSandbox bot, SandboxRuntime runtime)
    {
        var activities = bot.Activities.All().Where(a => tenant is null || a.TenantId == tenant).ToList();
        var body = new StringBuilder(ConversationStyle).Append(CultureInfo.InvariantCulture, $"<h1>Messages sent by bots ({activities.Count})</h1>");
        if (activities.Count == 0)
        {
            body.Append("<p>No bot has sent anything yet.</p>");
        }

        foreach (var conversation in activities.GroupBy(a => a.ConversationId).OrderByDescending(g => g.Max(a => a.Timestamp)))
        {
            var first = conversation.First();
            var where = first.TeamId is not null ? $"Channel in team {first.TeamId}"
                : first.UserId is { } user && first.TenantId is { } t && runtime.State.FindUser(t, user.ToString()) is { } person ? $"Chat with {person.DisplayName}"
                : "Conversation";
            body.Append(CultureInfo.InvariantCulture, $"<section class=\"conversation\"><h3>{E(where)}</h3><div class=\"meta\">{E(conversation.Key)}</div>");
            foreach (var message in conversation.OrderBy(a => a.Timestamp))
            {
                body.Append(CultureInfo.InvariantCulture, $"<div class=\"message\"><div class=\"meta\">bot {E(message.BotAppId)} · {message.Timestamp:u} · {E(message.Type)}</div>")
                    .Append(CultureInfo.InvariantCulture, $"<div>{E(message.Text ?? "")}</div>");
                if (message.Attachments is { Count: > 0 } attachments)
                {
                    body.Append(CultureInfo.InvariantCulture, $"<div class=\"card\">{E(attachments.ToJsonString())}</div>");
                }

                body.Append("</div>");
            }

            body.Append("</section>");
        }

        return Page("Bot messages", body.ToString());
    }
}
