using IncidentIo.Domain.Organizations;
using Microsoft.Extensions.Logging;

namespace IncidentIo.Domain.Bot.Inbound;

/// <summary>
/// Where a message someone sends our bot (in a 1:1 chat, or an @mention in a channel) is handed
/// on. The bot does not answer messages yet ("help" and commands come later): they are
/// acknowledged and logged, nothing more.
/// </summary>
public sealed class BotMessages(ILogger<BotMessages> logger)
{
    public Task HandOnAsync(Organization organization, BotActivity message, CancellationToken cancellationToken)
    {
        logger.LogInformation("Message to our bot in {Conversation} ({Organization}) not answered: the bot has no replies yet",
            message.Conversation?.ConversationType, organization.Id);
        return Task.CompletedTask;
    }
}
