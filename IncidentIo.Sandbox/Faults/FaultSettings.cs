namespace IncidentIo.Sandbox.Faults;

/// <summary>
/// Trouble to inject into one tenant's (or one user's) Graph calls. The default value injects nothing.
/// </summary>
public sealed record FaultSettings
{
    public static readonly FaultSettings None = new();

    /// <summary>Added to every Graph call before it runs.</summary>
    public int LatencyMs { get; init; }

    /// <summary>Share of calls (0 to 1) answered with a 5xx from <see cref="ErrorStatuses"/>.</summary>
    public double ErrorRate { get; init; }

    /// <summary>Which 5xx statuses the error rate answers with (picked at random): 503 and/or 504.</summary>
    public IReadOnlyList<int> ErrorStatuses { get; init; } = [503];

    /// <summary>The <c>Retry-After</c> seconds sent with injected 503s and storm 429s.</summary>
    public int RetryAfterSeconds { get; init; } = 2;

    /// <summary>Until then every call is 429 (a throttling storm).</summary>
    public DateTimeOffset? StormUntil { get; init; }

    /// <summary>Hold every call without answering until the client gives up (or <see cref="FaultInjector.HoldLimit"/>, then 504).</summary>
    public bool Timeout { get; init; }

    /// <summary>Long-running operations (team creation) end <c>failed</c>; read by the Teams endpoints.</summary>
    public bool FailAsyncOperations { get; init; }

    public bool IsNone(DateTimeOffset now) =>
        LatencyMs <= 0 && ErrorRate <= 0 && !(StormUntil > now) && !Timeout && !FailAsyncOperations;
}
