namespace IncidentIo.Domain.ActiveUsers;

/// <summary>
/// One run of the active-user sweep for an organisation: what it read, what it found, what it
/// changed (or, when inconclusive or quarantined, why it changed nothing).
/// </summary>
public sealed class SweepRun
{
    public Guid Id { get; set; } = Guid.NewGuid();

    public Guid OrganizationId { get; set; }

    public SweepOutcome Outcome { get; set; } = SweepOutcome.Running;

    /// <summary>"schedule", "run-now", "dry-run", or who asked.</summary>
    public required string RequestedBy { get; set; }

    public bool IsDryRun { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>The job server running it ("worker host:pid").</summary>
    public string? RunBy { get; set; }

    /// <summary>
    /// While running, the run renews this every third of <c>ActiveUsers:RunLease</c>. A run whose lease
    /// ran out belonged to a process that stopped: the next run marks it abandoned and takes over.
    /// </summary>
    public DateTimeOffset? LeaseUntil { get; set; }

    /// <summary>Teams where our bot is installed, whose members were read.</summary>
    public int TeamsRead { get; set; }

    public int MembersSeen { get; set; }

    public int GraphRequests { get; set; }

    public int ActiveBefore { get; set; }

    public int Deactivated { get; set; }

    public int Reactivated { get; set; }

    /// <summary>Why the run changed nothing: the team that could not be read and Microsoft's answer, or the quarantine threshold.</summary>
    public string? Reason { get; set; }

    /// <summary>The changes a quarantined (or dry) run would make, one line per user: "deactivate {userId}" / "reactivate {userId}".</summary>
    public string? ProposedChanges { get; set; }

    /// <summary>
    /// Who the run did not deactivate although they are in no team with our bot, because they are the
    /// organisation's last active Owner, and what to do about it.
    /// </summary>
    public string? KeptOwnerNote { get; set; }

    public string? ReviewedBy { get; set; }

    public DateTimeOffset? ReviewedAt { get; set; }
}

public enum SweepOutcome
{
    Running = 0,

    /// <summary>Every bot team read completely; the changes were made.</summary>
    Applied = 1,

    /// <summary>A team could not be read completely: nobody was deactivated.</summary>
    Inconclusive = 2,

    /// <summary>Too many deactivations at once: waiting for an admin or staff to allow or reject them.</summary>
    Quarantined = 3,

    /// <summary>A quarantined run whose changes were allowed and made.</summary>
    Allowed = 4,

    /// <summary>A quarantined run whose changes were rejected: nothing changed.</summary>
    Rejected = 5,

    /// <summary>"What would the next run do": read everything, changed nothing.</summary>
    DryRun = 6,

    /// <summary>The run stopped before it finished (its process stopped); nothing changed.</summary>
    Abandoned = 7,
}
