namespace IncidentIo.Domain.Incidents;

/// <summary>An incident declared in an organisation, referred to as <c>INC-&lt;n&gt;</c> within it.</summary>
public sealed class Incident
{
    public const int NameMaxLength = 200;
    public const int SummaryMaxLength = 4000;
    public const int TypeMaxLength = 60;

    public Guid Id { get; set; } = Guid.NewGuid();

    public Guid OrganizationId { get; set; }

    /// <summary>The n of <c>INC-n</c>: counts up per organisation, unique in it.</summary>
    public int Number { get; set; }

    public string Reference => $"INC-{Number}";

    public required string Name { get; set; }

    public string? Summary { get; set; }

    public IncidentSeverity Severity { get; set; }

    public IncidentStatus Status { get; set; } = IncidentStatus.Investigating;

    /// <summary>One of <c>Incidents:Types</c> at the time it was declared.</summary>
    public required string Type { get; set; }

    public Guid LeadUserId { get; set; }

    public Guid DeclaredByUserId { get; set; }

    /// <summary>Seen by its lead, its declarer and admins only; announced only by rules that include private incidents.</summary>
    public bool IsPrivate { get; set; }

    /// <summary>A drill: announced only by rules that include test incidents.</summary>
    public bool IsTest { get; set; }

    public DateTimeOffset DeclaredAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? ResolvedAt { get; set; }

    /// <summary>Changed on every write: two people changing the incident at once cannot overwrite each other unseen.</summary>
    public Guid Version { get; set; } = Guid.NewGuid();

    public List<IncidentUpdate> Updates { get; } = [];
}

/// <summary>SEV1 is the most severe; a lower number is more severe.</summary>
public enum IncidentSeverity
{
    Sev1 = 1,
    Sev2 = 2,
    Sev3 = 3,
    Sev4 = 4,
}

public enum IncidentStatus
{
    Investigating = 0,
    Fixing = 1,
    Monitoring = 2,
    Resolved = 3,
}

public enum IncidentUpdateKind
{
    Declared = 0,
    SeverityChanged = 1,
    StatusChanged = 2,
    Resolved = 3,

    /// <summary>Another person leads the incident: <see cref="IncidentUpdate.From"/> and <see cref="IncidentUpdate.To"/> hold the user ids.</summary>
    LeadChanged = 4,
}

/// <summary>One change to an incident, who made it and when; what the bot announces.</summary>
public sealed class IncidentUpdate
{
    public const int ValueMaxLength = 40;

    public Guid Id { get; set; } = Guid.NewGuid();

    public Guid IncidentId { get; set; }

    public Guid OrganizationId { get; set; }

    public IncidentUpdateKind Kind { get; set; }

    public Guid ActorUserId { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>The severity or status before the change (null on declare).</summary>
    public string? From { get; set; }

    public string? To { get; set; }

    /// <summary>When the announcing job created this update's deliveries; null until then (the recurring job looks for these).</summary>
    public DateTimeOffset? ProcessedAt { get; set; }
}

public static class IncidentText
{
    public static string Label(IncidentSeverity severity) => severity.ToString().ToUpperInvariant();

    public static string Label(IncidentUpdateKind kind) => kind switch
    {
        IncidentUpdateKind.Declared => "Declared",
        IncidentUpdateKind.SeverityChanged => "Severity changed",
        IncidentUpdateKind.StatusChanged => "Status changed",
        IncidentUpdateKind.LeadChanged => "Lead changed",
        _ => "Resolved",
    };
}
