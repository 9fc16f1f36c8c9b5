namespace IncidentIo.Domain.Incidents;

/// <summary>What someone fills in to declare an incident (bound by the tab's form).</summary>
public sealed class DeclareIncident
{
    public string? Name { get; set; }

    public string? Summary { get; set; }

    public IncidentSeverity Severity { get; set; } = IncidentSeverity.Sev3;

    /// <summary>One of <see cref="IncidentOptions.Types"/>; null or empty takes the first.</summary>
    public string? Type { get; set; }

    public Guid LeadUserId { get; set; }

    public bool IsPrivate { get; set; }

    public bool IsTest { get; set; }
}

/// <summary>Either the declared incident, or what was wrong per field (nothing saved).</summary>
public sealed class DeclareIncidentResult
{
    private DeclareIncidentResult(Incident? incident, IReadOnlyDictionary<string, string> errors, IReadOnlyList<string> announcedIn, bool leadMessaged)
    {
        Incident = incident;
        Errors = errors;
        AnnouncedIn = announcedIn;
        LeadMessaged = leadMessaged;
    }

    public Incident? Incident { get; }

    /// <summary>The channels ("Team › Channel") the organisation's rules announce it in; empty when no rule matched.</summary>
    public IReadOnlyList<string> AnnouncedIn { get; }

    /// <summary>Whether our bot messages the lead (the plan includes it).</summary>
    public bool LeadMessaged { get; }

    /// <summary>Field name (as on <see cref="DeclareIncident"/>, or "" for the form as a whole) → message.</summary>
    public IReadOnlyDictionary<string, string> Errors { get; }

    public bool Succeeded => Incident is not null;

    public static DeclareIncidentResult Declared(Incident incident, IReadOnlyList<string> announcedIn, bool leadMessaged) =>
        new(incident, new Dictionary<string, string>(), announcedIn, leadMessaged);

    public static DeclareIncidentResult Invalid(IReadOnlyDictionary<string, string> errors) => new(null, errors, [], false);
}

/// <summary>The outcome of a change to an incident: the incident afterwards, or why nothing changed.</summary>
public sealed record IncidentChangeResult(Incident? Incident, string? Error)
{
    public bool Succeeded => Error is null;
}
