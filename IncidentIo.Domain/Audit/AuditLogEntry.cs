namespace IncidentIo.Domain.Audit;

/// <summary>Who did what, when: every staff action and every automatic change to a customer's data.</summary>
public sealed class AuditLogEntry
{
    public long Id { get; set; }

    /// <summary>The organisation concerned; null for system-wide events.</summary>
    public Guid? OrganizationId { get; set; }

    public DateTimeOffset OccurredAt { get; set; }

    /// <summary>"system", "job:…", or the signed-in person (e.g. "staff:ann@incidentio.example").</summary>
    public required string Actor { get; set; }

    /// <summary>Dotted verb, e.g. "organization.created".</summary>
    public required string Action { get; set; }

    public string? Details { get; set; }

    /// <summary>The trace id of the request or job that made the change, to find its logs.</summary>
    public string? TraceId { get; set; }

    /// <summary>An entry for a change made now, carrying the current trace id.</summary>
    public static AuditLogEntry Record(Guid? organizationId, DateTimeOffset at, string actor, string action, string? details = null) => new()
    {
        OrganizationId = organizationId,
        OccurredAt = at,
        Actor = actor,
        Action = action,
        Details = details,
        TraceId = System.Diagnostics.Activity.Current?.TraceId.ToString(),
    };

    /// <summary>How a signed-in person is named as an actor.</summary>
    public static string UserActor(string? userPrincipalName, Guid objectId) => $"user:{userPrincipalName ?? objectId.ToString()}";
}
