namespace IncidentIo.Domain.Setup.AutomaticInstall;

/// <summary>
/// The automatic install of our Teams app for one organisation: find or create the "Incidents"
/// team, wait for Teams to finish creating it, install our app in it, pin our tab in General,
/// verify. Everything the job learns is saved before the next step, so a killed worker or a lost
/// job resumes where the last one stopped, and a retry resumes from the failed step.
/// </summary>
public sealed class AutomaticInstall
{
    public Guid Id { get; set; } = Guid.NewGuid();

    /// <summary>One per organisation: a retry resumes it rather than starting another.</summary>
    public Guid OrganizationId { get; set; }

    public AutomaticInstallStatus Status { get; set; } = AutomaticInstallStatus.Running;

    /// <summary>Who asked for it (object id), made owner of a team we create: app-only creation needs one.</summary>
    public Guid RequestedByObjectId { get; set; }

    public required string RequestedBy { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>Changes on every write; the progress view reloads when it changes.</summary>
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>The job run holding the install; others wait until <see cref="LeaseUntil"/> passes.</summary>
    public string? LeaseOwner { get; set; }

    public DateTimeOffset? LeaseUntil { get; set; }

    public string? TeamId { get; set; }

    public string? TeamName { get; set; }

    /// <summary>Set just before asking Teams to create the team: a run that finds it set but no team id looks before asking again.</summary>
    public DateTimeOffset? TeamCreationRequestedAt { get; set; }

    /// <summary>Teams' async operation for the creation (<c>Location</c> of the 202).</summary>
    public string? OperationLocation { get; set; }

    public string? ChannelId { get; set; }

    public string? TabId { get; set; }

    /// <summary>When we last asked Microsoft whether the temporary setup app still has permissions, and the answer.</summary>
    public DateTimeOffset? TemporaryPermissionsCheckedAt { get; set; }

    public bool? TemporaryPermissionsRemoved { get; set; }

    public List<AutomaticInstallStep> Steps { get; } = [];

    public static AutomaticInstall Start(Guid organizationId, Guid requestedByObjectId, string requestedBy, DateTimeOffset now)
    {
        var install = new AutomaticInstall
        {
            OrganizationId = organizationId,
            RequestedByObjectId = requestedByObjectId,
            RequestedBy = requestedBy,
            StartedAt = now,
            UpdatedAt = now,
        };
        install.Steps.AddRange(Enum.GetValues<AutomaticInstallStepKind>().Select(kind => new AutomaticInstallStep { InstallId = install.Id, Kind = kind }));
        return install;
    }

    public AutomaticInstallStep Step(AutomaticInstallStepKind kind) => Steps.Single(s => s.Kind == kind);

    /// <summary>The first step not yet done, or null when all are.</summary>
    public AutomaticInstallStep? NextStep => Steps.OrderBy(s => s.Kind).FirstOrDefault(s => s.State != StepState.Succeeded);

    /// <summary>
    /// Resumes from the failed step; the steps before it stay done unless what they made is gone
    /// (no team any more: start from finding or creating it; verification failed: install and pin
    /// again, which first check what is already there).
    /// </summary>
    public void Retry(DateTimeOffset now)
    {
        var failed = Steps.Where(s => s.State == StepState.Failed).Select(s => s.Kind).DefaultIfEmpty(AutomaticInstallStepKind.Verify).Min();
        var from = TeamId is null ? AutomaticInstallStepKind.FindOrCreateTeam
            : failed == AutomaticInstallStepKind.Verify ? AutomaticInstallStepKind.InstallApp
            : failed;
        foreach (var step in Steps.Where(s => s.Kind >= from))
        {
            step.State = StepState.Pending;
            step.Attempts = 0;
            step.Error = null;
            step.Detail = null;
            step.NextAttemptAt = null;
            step.StartedAt = null;
            step.FinishedAt = null;
        }

        Status = AutomaticInstallStatus.Running;
        FinishedAt = null;
        UpdatedAt = now;
    }
}

public enum AutomaticInstallStatus
{
    Running = 0,
    Failed = 1,
    Succeeded = 2,
}

/// <summary>The steps, in the order they run.</summary>
public enum AutomaticInstallStepKind
{
    FindOrCreateTeam = 0,
    WaitForTeam = 1,
    InstallApp = 2,
    PinTab = 3,
    Verify = 4,
}

public enum StepState
{
    Pending = 0,
    Running = 1,

    /// <summary>Waiting for Microsoft: Teams' operation, or a retry after a transient failure.</summary>
    Waiting = 2,
    Succeeded = 3,
    Failed = 4,
}

/// <summary>One step of an install, as the progress view shows it.</summary>
public sealed class AutomaticInstallStep
{
    public Guid InstallId { get; set; }

    public AutomaticInstallStepKind Kind { get; set; }

    public StepState State { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>Graph calls that failed transiently and were retried, for this run of the step.</summary>
    public int Attempts { get; set; }

    public DateTimeOffset? NextAttemptAt { get; set; }

    /// <summary>What the step found or did, for the admin.</summary>
    public string? Detail { get; set; }

    /// <summary>Why it failed (or why it is retrying), for the admin.</summary>
    public string? Error { get; set; }

    /// <summary>Graph's request id of the last call, for Microsoft support.</summary>
    public string? RequestId { get; set; }

    public static string TitleOf(AutomaticInstallStepKind kind) => kind switch
    {
        AutomaticInstallStepKind.FindOrCreateTeam => "Find or create the team",
        AutomaticInstallStepKind.WaitForTeam => "Wait for Teams to set the team up",
        AutomaticInstallStepKind.InstallApp => "Install our app in the team",
        AutomaticInstallStepKind.PinTab => "Pin our tab in General",
        AutomaticInstallStepKind.Verify => "Check everything is in place",
        _ => kind.ToString(),
    };
}
