using Microsoft.Extensions.Options;

namespace IncidentIo.Portal.Hosting;

/// <summary><c>Sandbox:*</c>: how the embedded Sandbox's tenants hold our Teams app.</summary>
public sealed class EmbeddedSandboxOptions
{
    public const string Section = "Sandbox";
    public const string Store = IncidentIo.Sandbox.State.TeamsAppDistribution.Store;
    public const string Organization = IncidentIo.Sandbox.State.TeamsAppDistribution.Organization;
    public const string Both = "both";

    public static readonly IReadOnlyList<string> Distributions = [Store, Organization, Both];

    /// <summary>
    /// How our app reached each seeded tenant's catalog: <c>store</c> (from the Teams Store: most
    /// customers meet a product listed there), <c>organization</c> (an admin uploaded our package)
    /// or <c>both</c> (two catalog entries).
    /// </summary>
    public string TeamsAppDistribution { get; set; } = Store;

    /// <summary>The catalog entries to publish, by Graph distribution method.</summary>
    public IReadOnlyList<string> DistributionMethods => TeamsAppDistribution.Trim().ToLowerInvariant() switch
    {
        Store => [Store],
        Organization => [Organization],
        Both => [Store, Organization],
        _ => [],
    };
}

public sealed class EmbeddedSandboxOptionsValidator : IValidateOptions<EmbeddedSandboxOptions>
{
    public ValidateOptionsResult Validate(string? name, EmbeddedSandboxOptions options) =>
        options.DistributionMethods.Count > 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"Sandbox:TeamsAppDistribution must be {string.Join(", ", EmbeddedSandboxOptions.Distributions.Select(d => $"'{d}'"))}, not '{options.TeamsAppDistribution}'.");
}
