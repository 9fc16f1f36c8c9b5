using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.ActiveUsers;

/// <summary><c>ActiveUsers:*</c>: when the sweep runs, how fast it reads, and when it stops to ask.</summary>
public sealed class ActiveUserSweepOptions
{
    public const string Section = "ActiveUsers";

    /// <summary>Cron of the scheduled run for every organisation. Daily: Microsoft asks integrations not to poll Teams more often.</summary>
    public string Schedule { get; set; } = "0 3 * * *";

    /// <summary>A run that would deactivate more than this share of active users, and more than <see cref="QuarantineCount"/>, waits for review.</summary>
    public double QuarantineShare { get; set; } = 0.1;

    public int QuarantineCount { get; set; } = 10;

    /// <summary>Target rate of GET team members per tenant, all workers together (published: 60 per second per app per tenant).</summary>
    public double MembersPerSecond { get; set; } = 58;

    /// <summary>
    /// Target rate of each other Teams read (GET installedApps of a team, GET joinedTeams, GET teams) per
    /// tenant, all workers together; each step of a <c>$batch</c> counts (published: 30 per second per app per tenant).
    /// </summary>
    public double TeamsReadsPerSecond { get; set; } = 29;

    /// <summary>Target rate per team (published: 4 requests per second per app on a given team).</summary>
    public double PerTeamPerSecond { get; set; } = 3.6;

    /// <summary>Teams read at once: one team's reads are capped at 4/s, so several run side by side.</summary>
    public int TeamConcurrency { get; set; } = 16;

    /// <summary>Transient failures (429, 5xx, time-outs) of one page before its team counts as unread.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>First wait after a transient failure without <c>Retry-After</c>; doubles each time (at most 30 s).</summary>
    public TimeSpan FirstBackoff { get; set; } = TimeSpan.FromMilliseconds(500);

    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a run holds its organisation without renewing (it renews every third of this). A worker
    /// killed mid-run blocks the next run of that organisation for at most this long.
    /// </summary>
    public TimeSpan RunLease { get; set; } = TimeSpan.FromMinutes(2);
}

public sealed class ActiveUserSweepOptionsValidator : IValidateOptions<ActiveUserSweepOptions>
{
    public ValidateOptionsResult Validate(string? name, ActiveUserSweepOptions options)
    {
        var failures = new List<string>();
        if (options.QuarantineShare is <= 0 or > 1)
        {
            failures.Add($"ActiveUsers:QuarantineShare must be more than 0 and at most 1, not {options.QuarantineShare}.");
        }

        if (options.FirstBackoff <= TimeSpan.Zero || options.CallTimeout <= TimeSpan.Zero)
        {
            failures.Add("ActiveUsers:FirstBackoff and ActiveUsers:CallTimeout must be positive time spans.");
        }

        if (options.RunLease < TimeSpan.FromSeconds(3) || options.RunLease > TimeSpan.FromHours(1))
        {
            failures.Add($"ActiveUsers:RunLease must be from 3 seconds to 1 hour, not {options.RunLease}.");
        }

        if (options.QuarantineCount < 0)
        {
            failures.Add("ActiveUsers:QuarantineCount must not be negative.");
        }

        if (options.MembersPerSecond <= 0 || options.PerTeamPerSecond <= 0 || options.TeamsReadsPerSecond <= 0)
        {
            failures.Add("ActiveUsers:MembersPerSecond, ActiveUsers:PerTeamPerSecond and ActiveUsers:TeamsReadsPerSecond must be positive.");
        }

        if (options.TeamConcurrency is < 1 or > 128 || options.MaxAttempts is < 1 or > 50)
        {
            failures.Add("ActiveUsers:TeamConcurrency must be 1 to 128 and ActiveUsers:MaxAttempts 1 to 50.");
        }

        if (options.Schedule.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length is < 5 or > 6)
        {
            failures.Add($"ActiveUsers:Schedule must be a cron expression, not '{options.Schedule}'.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
