namespace IncidentIo.Domain.Bot.Inbound;

/// <summary>
/// An activity Teams delivered to our bot and we acted on. Microsoft retries deliveries it thinks
/// failed, so the same activity can arrive twice: its (conversation, activity id) is unique here
/// and a second delivery is acknowledged without acting again.
/// </summary>
public sealed class BotReceivedActivity
{
    public const int ConversationIdMaxLength = 200;
    public const int ActivityIdMaxLength = 200;
    public const int TypeMaxLength = 40;

    public long Id { get; set; }

    public Guid OrganizationId { get; set; }

    public required string ConversationId { get; set; }

    public required string ActivityId { get; set; }

    public required string Type { get; set; }

    public DateTimeOffset ReceivedAt { get; set; }
}
