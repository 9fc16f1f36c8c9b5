namespace IncidentIo.Domain.Jobs;

/// <summary>
/// One run of the heartbeat job: proves that a job enqueued somewhere is executed by a job
/// server, and measures how long it waited to be picked up.
/// </summary>
public sealed class JobHeartbeat
{
    public Guid Id { get; set; } = Guid.NewGuid();

    public HeartbeatTrigger Trigger { get; set; }

    /// <summary>The process that asked for it (e.g. "portal host:1234").</summary>
    public required string RequestedBy { get; set; }

    public DateTimeOffset RequestedAt { get; set; }

    public string? JobId { get; set; }

    /// <summary>The job server that ran it.</summary>
    public string? ExecutedBy { get; set; }

    public DateTimeOffset? ExecutedAt { get; set; }

    public TimeSpan? PickupLatency => ExecutedAt - RequestedAt;
}

public enum HeartbeatTrigger
{
    OnDemand = 0,
    Scheduled = 1,
}
