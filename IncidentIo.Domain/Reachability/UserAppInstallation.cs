namespace IncidentIo.Domain.Reachability;

/// <summary>
/// Whether our app is installed for a user, which the bot needs to message them; kept with the
/// user (same row) so lists and counts over many users are one query.
/// </summary>
public sealed class UserAppInstallation
{
    public InstallationState State { get; set; } = InstallationState.NotInstalled;

    /// <summary>Consecutive transient failures of the current attempt series.</summary>
    public int Attempts { get; set; }

    /// <summary>When the worker should try (or re-check) next; null when nothing is due.</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }

    /// <summary>When Graph last confirmed the installation.</summary>
    public DateTimeOffset? VerifiedAt { get; set; }

    public DateTimeOffset? ChangedAt { get; set; }

    public int? LastStatus { get; set; }

    public string? LastErrorCode { get; set; }

    public string? LastError { get; set; }

    public string? LastRequestId { get; set; }

    /// <summary>The worker acting on this user, until <see cref="LeaseUntil"/>.</summary>
    public string? LeaseOwner { get; set; }

    /// <summary>A worker acting on this user holds it until then (renewed while it acts); another waits.</summary>
    public DateTimeOffset? LeaseUntil { get; set; }
}

public enum InstallationState
{
    NotInstalled = 0,

    /// <summary>An attempt is due at <see cref="UserAppInstallation.NextAttemptAt"/>.</summary>
    Pending = 1,
    Installed = 2,

    /// <summary>A Teams app permission policy blocks our app for this user: an admin must allow it.</summary>
    BlockedByPolicy = 3,

    /// <summary>The user has never opened Teams: the install completes (or can be made) once they do; re-checked later.</summary>
    NeverOpenedTeams = 4,

    /// <summary>Our app is not in the tenant's app catalog: an admin must allow or upload it.</summary>
    NotInCatalog = 5,

    /// <summary>Microsoft kept failing (or refused for another reason); see the last error.</summary>
    Failed = 6,
}

/// <summary>One Graph call made for a user's installation, for the support console's history.</summary>
public sealed class AppInstallationAttempt
{
    public long Id { get; set; }

    public Guid UserId { get; set; }

    public Guid OrganizationId { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>What was asked: "check", "install", "chat" (whether the user's chat with the bot exists), "verify".</summary>
    public required string Action { get; set; }

    /// <summary>Why: "joined", "role", "dm-needed", "retry", "everyone", "reconcile", "verify".</summary>
    public required string Trigger { get; set; }

    /// <summary>HTTP status; null when no answer came.</summary>
    public int? Status { get; set; }

    public string? ErrorCode { get; set; }

    public string? Message { get; set; }

    public string? RequestId { get; set; }

    public InstallationState Outcome { get; set; }
}
