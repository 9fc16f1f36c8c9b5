namespace IncidentIo.Domain.Setup;

/// <summary>
/// One trip to Microsoft's admin consent page. The <c>state</c> we send is random and stored only
/// as a hash; the answer is accepted once, before it expires, for the same person and organisation.
/// </summary>
public sealed class ConsentRequest
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(30);

    public Guid Id { get; set; } = Guid.NewGuid();

    public Guid OrganizationId { get; set; }

    public Guid RequestedByUserId { get; set; }

    public ConsentKind Kind { get; set; }

    /// <summary>SHA-256 of the state, hex: a leaked database row cannot be replayed.</summary>
    public required string StateHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? AnsweredAt { get; set; }

    public ConsentOutcome Outcome { get; set; } = ConsentOutcome.Pending;

    public string? Error { get; set; }

    public int? ErrorCode { get; set; }

    public string? ErrorDescription { get; set; }

    public string? TraceId { get; set; }

    public string? CorrelationId { get; set; }
}

public enum ConsentKind
{
    /// <summary>Admin consent #1: our main app's application permissions, kept.</summary>
    GlobalPermissions = 0,

    /// <summary>Admin consent #2: the temporary setup app, for the automatic install.</summary>
    SetupPermissions = 1,
}

public enum ConsentOutcome
{
    Pending = 0,
    Granted = 1,
    Failed = 2,
}
