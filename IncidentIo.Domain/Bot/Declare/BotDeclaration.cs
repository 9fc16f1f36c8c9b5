namespace IncidentIo.Domain.Bot.Declare;

/// <summary>
/// One submit of the bot's declare card that declared an incident. Teams retries an invoke it got
/// no answer to in time, and people click twice: (organisation, card key, person) is unique, and
/// the row is saved in the same transaction as the incident, so one card declares at most one
/// incident per person.
/// </summary>
public sealed class BotDeclaration
{
    public long Id { get; set; }

    public Guid OrganizationId { get; set; }

    /// <summary>The key the bot put in the card's data when it sent the form.</summary>
    public Guid CardKey { get; set; }

    /// <summary>Who submitted the card (our user).</summary>
    public Guid UserId { get; set; }

    public Guid IncidentId { get; set; }

    public DateTimeOffset DeclaredAt { get; set; }
}
