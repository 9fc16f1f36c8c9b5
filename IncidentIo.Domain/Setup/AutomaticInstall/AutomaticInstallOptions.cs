using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Setup.AutomaticInstall;

/// <summary>
/// <c>SetupApp:*</c>: our temporary setup app registration (admin consent #2), which creates the
/// team and installs our app. Without it the automatic install is not offered.
/// </summary>
public sealed class SetupAppOptions
{
    public const string Section = "SetupApp";

    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }

    /// <summary>Entra ID's sign-in host; defaults to <c>AzureAd:Instance</c>, then Microsoft's.</summary>
    public string? Instance { get; set; }

    public bool IsConfigured => !string.IsNullOrWhiteSpace(ClientId) && !string.IsNullOrWhiteSpace(ClientSecret);
}

/// <summary><c>AutomaticInstall:*</c>: how the automatic install names things and paces itself.</summary>
public sealed class AutomaticInstallOptions
{
    public const string Section = "AutomaticInstall";

    /// <summary>The team we find or create.</summary>
    public string TeamName { get; set; } = "Incidents";

    /// <summary>The name of our tab in the team's General channel.</summary>
    public string TabName { get; set; } = "Incidents";

    /// <summary>Time between reads of Teams' team-creation operation. Microsoft asks for at least 30 s.</summary>
    public TimeSpan OperationPollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long Teams may take to create a team before the step fails.</summary>
    public TimeSpan TeamCreationTimeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Graph calls per step that may fail transiently (429, 5xx, time-outs) before the step fails.</summary>
    public int MaxAttempts { get; set; } = 6;

    /// <summary>The longest wait between two attempts when Microsoft sends no <c>Retry-After</c>.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How long a run holds an install; a run whose worker died is taken over after this, by the
    /// recurring resume job.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long Graph may take to answer one call.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often Workers look for installs whose run stopped (cron).</summary>
    public string ResumeSchedule { get; set; } = "* * * * *";
}

public sealed class AutomaticInstallOptionsValidator : IValidateOptions<AutomaticInstallOptions>
{
    public ValidateOptionsResult Validate(string? name, AutomaticInstallOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.TeamName) || options.TeamName.Length > 256)
        {
            failures.Add("AutomaticInstall:TeamName must be 1 to 256 characters.");
        }

        if (string.IsNullOrWhiteSpace(options.TabName) || options.TabName.Length > 128)
        {
            failures.Add("AutomaticInstall:TabName must be 1 to 128 characters.");
        }

        Positive(options.OperationPollInterval, "OperationPollInterval");
        Positive(options.TeamCreationTimeout, "TeamCreationTimeout");
        Positive(options.MaxBackoff, "MaxBackoff");
        Positive(options.LeaseDuration, "LeaseDuration");
        Positive(options.CallTimeout, "CallTimeout");
        if (options.MaxAttempts is < 1 or > 50)
        {
            failures.Add($"AutomaticInstall:MaxAttempts must be between 1 and 50, not {options.MaxAttempts}.");
        }

        if (options.LeaseDuration <= options.CallTimeout)
        {
            failures.Add("AutomaticInstall:LeaseDuration must be longer than AutomaticInstall:CallTimeout, or a slow call would let a second run take over.");
        }

        if (options.ResumeSchedule.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length is < 5 or > 6)
        {
            failures.Add($"AutomaticInstall:ResumeSchedule must be a cron expression, not '{options.ResumeSchedule}'.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Positive(TimeSpan value, string key)
        {
            if (value <= TimeSpan.Zero)
            {
                failures.Add($"AutomaticInstall:{key} must be a positive time span (e.g. 00:00:30), not {value}.");
            }
        }
    }
}
