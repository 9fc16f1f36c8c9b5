using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Hangfire;
using IncidentIo.Domain.Bot.Connector;
using IncidentIo.Domain.Bot.Declare;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.TeamsApp;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Bot.Inbound;

/// <summary>
/// A message someone sends our bot (in a 1:1 chat, or an @mention in a channel): "declare …" is
/// answered with the declare form (<see cref="BotDeclare"/>), or why this person may not declare;
/// anything else gets the help. Replies are sent by a job, so Teams' request is answered at once
/// and a failed send is tried again.
/// </summary>
public sealed partial class BotMessages(
    IBackgroundJobClient jobs, BotConnector connector, BotDeclare declare, IOptions<TeamsAppOptions> teamsApp, ILogger<BotMessages> logger)
{
    public async Task HandOnAsync(Organization organization, BotActivity message, CancellationToken cancellationToken)
    {
        if (message.ServiceUrl is not { } serviceUrl || message.Conversation?.Id is not { } conversationId)
        {
            return;
        }

        var tenantId = organization.MicrosoftTenantId;
        var replyToId = message.Id;
        if (DeclaredName(message.Text) is { } name)
        {
            var declarer = await declare.WhoIsAsync(organization.Id, message.From, cancellationToken);
            if (declarer.User is { } user)
            {
                // The key goes into the card: the job sends the same one however often it runs.
                var organizationId = organization.Id;
                var key = Guid.NewGuid();
                jobs.Enqueue<BotMessages>(m => m.SendDeclareFormAsync(serviceUrl, conversationId, replyToId, tenantId, organizationId, user.Id, name, key, CancellationToken.None));
                logger.LogInformation("Declare asked of our bot in a {Conversation} conversation of {Organization}: form queued", message.Conversation.ConversationType, organization.Id);
                return;
            }

            var refusal = declarer.Refusal!;
            jobs.Enqueue<BotMessages>(m => m.ReplyAsync(serviceUrl, conversationId, replyToId, tenantId, refusal, CancellationToken.None));
            return;
        }

        var text = ReplyTo(message.Text);
        jobs.Enqueue<BotMessages>(m => m.ReplyAsync(serviceUrl, conversationId, replyToId, tenantId, text, CancellationToken.None));
        logger.LogInformation("Message to our bot in a {Conversation} conversation of {Organization}: reply queued", message.Conversation.ConversationType, organization.Id);
    }

    /// <summary>The job: posts the reply in the conversation the message came from.</summary>
    public async Task ReplyAsync(string serviceUrl, string conversationId, string? replyToId, Guid tenantId, string text, CancellationToken cancellationToken)
    {
        var activity = new JsonObject
        {
            ["type"] = "message",
            ["textFormat"] = "markdown",
            ["text"] = text,
        };
        await SendAsync(serviceUrl, conversationId, replyToId, tenantId, activity, cancellationToken);
    }

    /// <summary>The job: posts the declare form (<paramref name="name"/> filled in) where "declare …" was said.</summary>
    public async Task SendDeclareFormAsync(
        string serviceUrl, string conversationId, string? replyToId, Guid tenantId, Guid organizationId, Guid declarerId, string name, Guid cardKey, CancellationToken cancellationToken)
    {
        var card = await declare.FormAsync(organizationId, declarerId, name, cardKey, cancellationToken);
        await SendAsync(serviceUrl, conversationId, replyToId, tenantId, DeclareCard.FormMessage(card), cancellationToken);
    }

    private async Task SendAsync(string serviceUrl, string conversationId, string? replyToId, Guid tenantId, JsonObject activity, CancellationToken cancellationToken)
    {
        activity["channelData"] = new JsonObject { ["tenant"] = new JsonObject { ["id"] = tenantId.ToString() } };
        if (replyToId is not null)
        {
            activity["replyToId"] = replyToId;
        }

        await connector.SendAsync(new Uri(serviceUrl), conversationId, activity, cancellationToken);
    }

    /// <summary>"declare Checkout is down" (mention taken out) → "Checkout is down"; "declare" alone → ""; anything else → null.</summary>
    public static string? DeclaredName(string? text)
    {
        var said = Said(text);
        return DeclareCommand().Match(said) is { Success: true } match ? match.Groups["name"].Value.Trim() : null;
    }

    /// <summary>What the bot answers to anything but "declare …".</summary>
    public string ReplyTo(string? text)
    {
        var portal = $"https://{teamsApp.Value.PortalHost}";
        return "I'm the IncidentIo bot. I post incident updates to the channels your admins chose " +
               $"([announcement rules]({portal}/settings/announcements)), and message incident leads directly.\n\n" +
               "To declare an incident, say **declare** and what is happening (for example *declare Checkout is failing*) and fill in the form I send, " +
               $"or open the **Incidents** tab in your Incidents team, or [declare it in IncidentIo]({portal}/incidents).\n\nSay **help** to see this again.";
    }

    private static string Said(string? text) => Mention().Replace(text ?? "", "").Trim();

    [GeneratedRegex("<at>.*?</at>", RegexOptions.IgnoreCase)]
    private static partial Regex Mention();

    [GeneratedRegex(@"^declare(?:\s+(?<name>[\s\S]*))?$", RegexOptions.IgnoreCase)]
    private static partial Regex DeclareCommand();
}
