using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Reachability;

/// <summary><c>AppInstallation:*</c>: how per-user installs of our app pace and retry themselves.</summary>
public sealed class AppInstallationOptions
{
    public const string Section = "AppInstallation";

    /// <summary>
    /// Target rate of <c>POST /users/{id}/teamwork/installedApps</c> per tenant, all workers together.
    /// Microsoft publishes 30 per second per app per tenant; we aim a little below.
    /// </summary>
    public double InstallsPerSecond { get; set; } = 29;

    /// <summary>Target rate of the GETs that check an installation (published: 30 per second per app per tenant).</summary>
    public double ChecksPerSecond { get; set; } = 29;

    /// <summary>Transient failures (429, 5xx, time-outs) in a row before a user's install is marked failed.</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>First wait after a transient failure without <c>Retry-After</c>; doubles each time, with jitter.</summary>
    public TimeSpan FirstBackoff { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>When to look again at a user who has never opened Teams.</summary>
    public TimeSpan NeverOpenedTeamsRecheck { get; set; } = TimeSpan.FromHours(12);

    /// <summary>How old a verification may get before the reconciliation checks an installed user again.</summary>
    public TimeSpan ReverifyAfter { get; set; } = TimeSpan.FromDays(7);

    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Users one worker installs at once in a bulk run (the tenant's pace still applies to all of them).</summary>
    public int BulkConcurrency { get; set; } = 8;

    /// <summary>Cron of the reconciliation: due retries, re-checks and re-verifications.</summary>
    public string ReconcileSchedule { get; set; } = "*/5 * * * *";
}

public sealed class AppInstallationOptionsValidator : IValidateOptions<AppInstallationOptions>
{
    public ValidateOptionsResult Validate(string? name, AppInstallationOptions options)
    {
        var failures = new List<string>();
        if (options.InstallsPerSecond is <= 0 or > 1000 || options.ChecksPerSecond is <= 0 or > 1000)
        {
            failures.Add("AppInstallation:InstallsPerSecond and AppInstallation:ChecksPerSecond must be between 0 and 1000 (Microsoft publishes 30).");
        }

        if (options.MaxAttempts is < 1 or > 100)
        {
            failures.Add($"AppInstallation:MaxAttempts must be between 1 and 100, not {options.MaxAttempts}.");
        }

        if (options.BulkConcurrency is < 1 or > 64)
        {
            failures.Add($"AppInstallation:BulkConcurrency must be between 1 and 64, not {options.BulkConcurrency}.");
        }

        foreach (var (key, value) in new[]
                 {
                     ("FirstBackoff", options.FirstBackoff), ("MaxBackoff", options.MaxBackoff), ("NeverOpenedTeamsRecheck", options.NeverOpenedTeamsRecheck),
                     ("ReverifyAfter", options.ReverifyAfter), ("CallTimeout", options.CallTimeout),
                 })
        {
            if (value <= TimeSpan.Zero)
            {
                failures.Add($"AppInstallation:{key} must be a positive time span, not {value}.");
            }
        }

        if (options.ReconcileSchedule.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length is < 5 or > 6)
        {
            failures.Add($"AppInstallation:ReconcileSchedule must be a cron expression, not '{options.ReconcileSchedule}'.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
