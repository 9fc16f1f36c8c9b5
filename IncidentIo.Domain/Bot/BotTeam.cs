namespace IncidentIo.Domain.Bot;

/// <summary>
/// A team our bot is (or was) installed in, as the bot's installation events and Graph tell us.
/// The team's General channel thread id is what the bot addresses the team by.
/// </summary>
public sealed class BotTeam
{
    public const int ThreadIdMaxLength = 200;
    public const int NameMaxLength = 256;
    public const int ServiceUrlMaxLength = 500;

    public Guid Id { get; set; } = Guid.NewGuid();

    public Guid OrganizationId { get; set; }

    /// <summary>The bot-facing team id: the General channel's thread id (<c>19:…@thread.tacv2</c>).</summary>
    public required string TeamThreadId { get; set; }

    /// <summary>The team's Graph id (its Microsoft 365 group), when known.</summary>
    public Guid? GraphTeamId { get; set; }

    public required string Name { get; set; }

    /// <summary>Where the connector for this team's conversations is (from the latest activity).</summary>
    public required string ServiceUrl { get; set; }

    public DateTimeOffset InstalledAt { get; set; }

    /// <summary>Set when our app was removed from the team; null while installed.</summary>
    public DateTimeOffset? RemovedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public bool IsInstalled => RemovedAt is null;
}
