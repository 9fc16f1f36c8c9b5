using IncidentIo.Domain.Incidents;

namespace IncidentIo.Domain.Announcements;

/// <summary>
/// Which incident updates an organisation's bot posts to which channel. The General channel of a
/// team is addressed by the team's thread id; other channels by their own conversation id.
/// </summary>
public sealed class AnnouncementRule
{
    public const int NameMaxLength = 100;
    public const int ChannelNameMaxLength = 256;

    public Guid Id { get; set; } = Guid.NewGuid();

    public Guid OrganizationId { get; set; }

    public required string Name { get; set; }

    /// <summary>The team our bot is installed in whose channel receives the posts.</summary>
    public Guid BotTeamId { get; set; }

    /// <summary>The channel's conversation id (<c>19:…@thread.tacv2</c>).</summary>
    public required string ChannelConversationId { get; set; }

    public required string ChannelName { get; set; }

    public bool OnDeclared { get; set; } = true;

    public bool OnSeverityChanged { get; set; }

    public bool OnStatusChanged { get; set; }

    public bool OnResolved { get; set; } = true;

    /// <summary>Incidents this severe or more (SEV1 is the most severe).</summary>
    public IncidentSeverity MinimumSeverity { get; set; } = IncidentSeverity.Sev4;

    /// <summary>Incident types announced; empty means any type.</summary>
    public List<string> IncidentTypes { get; set; } = [];

    public bool IncludeTest { get; set; }

    public bool IncludePrivate { get; set; }

    public bool IsEnabled { get; set; } = true;

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public bool Covers(IncidentUpdateKind kind) => kind switch
    {
        IncidentUpdateKind.Declared => OnDeclared,
        IncidentUpdateKind.SeverityChanged => OnSeverityChanged,
        IncidentUpdateKind.StatusChanged => OnStatusChanged,
        IncidentUpdateKind.Resolved => OnResolved,
        _ => false,
    };
}
