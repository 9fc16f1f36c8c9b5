using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Changes;

/// <summary><c>Changes:*</c>: how open pages follow changes.</summary>
public sealed class ChangeOptions
{
    public const string Section = "Changes";

    /// <summary>An open page reads again after this long without a notification, in case one was missed.</summary>
    public TimeSpan SafetyInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>After a notification a page waits this long so a burst of changes is one re-read.</summary>
    public TimeSpan CoalesceWindow { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The longest wait between attempts after a re-read or the PostgreSQL listener failed (doubling from 0.5 s).</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);
}

public sealed class ChangeOptionsValidator : IValidateOptions<ChangeOptions>
{
    public ValidateOptionsResult Validate(string? name, ChangeOptions options)
    {
        var failures = new List<string>();
        if (options.SafetyInterval < TimeSpan.FromSeconds(1) || options.SafetyInterval > TimeSpan.FromHours(1))
        {
            failures.Add($"Changes:SafetyInterval must be between 00:00:01 and 01:00:00, not {options.SafetyInterval}.");
        }

        if (options.CoalesceWindow < TimeSpan.Zero || options.CoalesceWindow > TimeSpan.FromSeconds(5))
        {
            failures.Add($"Changes:CoalesceWindow must be between 00:00:00 and 00:00:05, not {options.CoalesceWindow}.");
        }

        if (options.MaxRetryDelay < TimeSpan.FromSeconds(1) || options.MaxRetryDelay > TimeSpan.FromMinutes(10))
        {
            failures.Add($"Changes:MaxRetryDelay must be between 00:00:01 and 00:10:00, not {options.MaxRetryDelay}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
