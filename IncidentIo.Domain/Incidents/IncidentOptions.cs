using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Incidents;

/// <summary><c>Incidents:*</c>: the incident types people choose from when declaring.</summary>
public sealed class IncidentOptions
{
    public const string Section = "Incidents";

    /// <summary>The incident types offered, in order; the first is the default.</summary>
    public List<string> Types { get; set; } = [];

    public static readonly string[] DefaultTypes = ["Default", "Security", "Customer data"];

    /// <summary>The configured list, or the defaults when none is configured (a bound list would append to defaults).</summary>
    public IReadOnlyList<string> EffectiveTypes => Types.Count > 0 ? Types : DefaultTypes;
}

internal sealed class IncidentOptionsValidator : IValidateOptions<IncidentOptions>
{
    public ValidateOptionsResult Validate(string? name, IncidentOptions options)
    {
        var failures = new List<string>();
        var types = options.EffectiveTypes;
        if (types.Any(t => string.IsNullOrWhiteSpace(t) || t.Trim().Length > Incident.TypeMaxLength))
        {
            failures.Add($"Incidents:Types must each be 1 to {Incident.TypeMaxLength} characters.");
        }

        if (types.Distinct(StringComparer.OrdinalIgnoreCase).Count() != types.Count)
        {
            failures.Add("Incidents:Types must not repeat a type.");
        }

        if (types.Count > 50)
        {
            failures.Add("Incidents:Types allows at most 50 types.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
