using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Announcements;

/// <summary><c>Announcements:*</c>: how the bot's posts and DMs are retried and looked after.</summary>
public sealed class AnnouncementOptions
{
    public const string Section = "Announcements";

    /// <summary>How long a worker holds a delivery while sending; one still "sending" after that is of unknown outcome.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Wait before the first retry of a transient failure when Teams sent no <c>Retry-After</c>; doubles per attempt.</summary>
    public TimeSpan FirstBackoff { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Attempts before a transiently failing delivery is left failed.</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>How often a DM waiting for the lead's install looks at the installation again.</summary>
    public TimeSpan InstallCheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A DM still waiting for an install after this long is marked unreachable.</summary>
    public TimeSpan InstallWaitLimit { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Cron for the sweep that announces updates whose job was lost, retries what is due and settles expired leases.</summary>
    public string SweepSchedule { get; set; } = "* * * * *";
}

internal sealed class AnnouncementOptionsValidator : IValidateOptions<AnnouncementOptions>
{
    public ValidateOptionsResult Validate(string? name, AnnouncementOptions options)
    {
        var failures = new List<string>();
        void Between(string key, TimeSpan value, TimeSpan min, TimeSpan max)
        {
            if (value < min || value > max)
            {
                failures.Add($"Announcements:{key} must be between {min} and {max} (it is {value}).");
            }
        }

        Between(nameof(options.LeaseDuration), options.LeaseDuration, TimeSpan.FromSeconds(10), TimeSpan.FromHours(1));
        Between(nameof(options.FirstBackoff), options.FirstBackoff, TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1));
        Between(nameof(options.MaxBackoff), options.MaxBackoff, options.FirstBackoff, TimeSpan.FromDays(1));
        Between(nameof(options.InstallCheckInterval), options.InstallCheckInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(6));
        Between(nameof(options.InstallWaitLimit), options.InstallWaitLimit, TimeSpan.FromMinutes(1), TimeSpan.FromDays(30));
        if (options.MaxAttempts is < 1 or > 100)
        {
            failures.Add($"Announcements:MaxAttempts must be between 1 and 100 (it is {options.MaxAttempts}).");
        }

        if (string.IsNullOrWhiteSpace(options.SweepSchedule) || options.SweepSchedule.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length is not (5 or 6))
        {
            failures.Add($"Announcements:SweepSchedule must be a cron expression (it is '{options.SweepSchedule}').");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
