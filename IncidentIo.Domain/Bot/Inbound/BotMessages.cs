using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hangfire;
using IncidentIo.Domain.Bot.Connector;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.TeamsApp;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Bot.Inbound;

/// <summary>
/// A message someone sends our bot (in a 1:1 chat, or an @mention in a channel): "help" and
/// "declare …" get a reply saying what the bot does and where to declare; anything else gets the
/// help. Replies are sent by a job, so Teams' request is answered at once and a failed send is
/// tried again.
/// </summary>
public sealed partial class BotMessages(IBackgroundJobClient jobs, BotConnector connector, IOptions<TeamsAppOptions> teamsApp, ILogger<BotMessages> logger)
{
    public Task HandOnAsync(Organization organization, BotActivity message, CancellationToken cancellationToken)
    {
        if (message.ServiceUrl is not { } serviceUrl || message.Conversation?.Id is not { } conversationId)
        {
            return Task.CompletedTask;
        }

        var text = ReplyTo(message.Text);
        var tenantId = organization.MicrosoftTenantId;
        var replyToId = message.Id;
        jobs.Enqueue<BotMessages>(m => m.ReplyAsync(serviceUrl, conversationId, replyToId, tenantId, text, CancellationToken.None));
        logger.LogInformation("Message to our bot in a {Conversation} conversation of {Organization}: reply queued", message.Conversation.ConversationType, organization.Id);
        return Task.CompletedTask;
    }

    /// <summary>The job: posts the reply in the conversation the message came from.</summary>
    public async Task ReplyAsync(string serviceUrl, string conversationId, string? replyToId, Guid tenantId, string text, CancellationToken cancellationToken)
    {
        var activity = new JsonObject
        {
            ["type"] = "message",
            ["textFormat"] = "markdown",
            ["text"] = text,
            ["channelData"] = new JsonObject { ["tenant"] = new JsonObject { ["id"] = tenantId.ToString() } },
        };
        if (replyToId is not null)
        {
            activity["replyToId"] = replyToId;
        }

        await connector.SendAsync(new Uri(serviceUrl), conversationId, activity, cancellationToken);
    }

    /// <summary>What the bot answers to <paramref name="text"/> (its @mention taken out).</summary>
    public string ReplyTo(string? text)
    {
        var said = Mention().Replace(text ?? "", "").Trim();
        var portal = $"https://{teamsApp.Value.PortalHost}";
        var declare = $"To declare an incident, open the **Incidents** tab in your Incidents team, or [declare it in IncidentIo]({portal}/incidents).";
        if (said.StartsWith("declare", StringComparison.OrdinalIgnoreCase))
        {
            return declare;
        }

        return "I'm the IncidentIo bot. I post incident updates to the channels your admins chose " +
               $"([announcement rules]({portal}/settings/announcements)), and message incident leads directly.\n\n" +
               declare + "\n\nSay **help** to see this again.";
    }

    [GeneratedRegex("<at>.*?</at>", RegexOptions.IgnoreCase)]
    private static partial Regex Mention();
}
