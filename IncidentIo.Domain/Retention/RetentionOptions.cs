using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Retention;

/// <summary><c>Retention:*</c>: how long rows that only matter for a while are kept, and when the cleanup runs.</summary>
public sealed class RetentionOptions
{
    public const string Section = "Retention";

    /// <summary>A token-cache entry is removed this long after it expired (MSAL no longer reads it).</summary>
    public TimeSpan ExpiredTokenCache { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// An admin-consent request is removed this long after it expired unanswered, or after it was
    /// answered; the latest answer per organisation and kind stays (setup shows it).
    /// </summary>
    public TimeSpan ConsentRequests { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Ids of activities Teams sent our bot are remembered this long, to recognise a repeated delivery.</summary>
    public TimeSpan BotActivities { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Cron for the cleanup.</summary>
    public string Schedule { get; set; } = "23 * * * *";
}

internal sealed class RetentionOptionsValidator : IValidateOptions<RetentionOptions>
{
    public ValidateOptionsResult Validate(string? name, RetentionOptions options)
    {
        var failures = new List<string>();
        void Between(string key, TimeSpan value, TimeSpan min, TimeSpan max)
        {
            if (value < min || value > max)
            {
                failures.Add($"{RetentionOptions.Section}:{key} must be between {min} and {max} (it is {value}).");
            }
        }

        Between(nameof(options.ExpiredTokenCache), options.ExpiredTokenCache, TimeSpan.Zero, TimeSpan.FromDays(30));
        // Past the consent page's own lifetime: an answer still on its way must find its request.
        Between(nameof(options.ConsentRequests), options.ConsentRequests, TimeSpan.FromHours(1), TimeSpan.FromDays(3650));
        // Microsoft redelivers within minutes; an hour is the least that still recognises every repeat.
        Between(nameof(options.BotActivities), options.BotActivities, TimeSpan.FromHours(1), TimeSpan.FromDays(365));
        if (string.IsNullOrWhiteSpace(options.Schedule) || options.Schedule.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length is not (5 or 6))
        {
            failures.Add($"{RetentionOptions.Section}:Schedule must be a cron expression (it is '{options.Schedule}').");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
