using IncidentIo.Sandbox.Hosting;
using IncidentIo.Sandbox.State;

namespace IncidentIo.Domain.Tests.TeamsApp;

/// <summary>
/// The ways a tenant can hold our app, as the Sandbox publishes it: from the Teams Store (catalog id =
/// manifest id, no externalId), uploaded to its own catalog, or both
/// (<see href="https://learn.microsoft.com/en-us/graph/api/resources/teamsapp"/>).
/// </summary>
public static class CatalogDistributions
{
    public const string Store = TeamsAppDistribution.Store;
    public const string Organization = TeamsAppDistribution.Organization;
    public const string Both = "both";

    public static TheoryData<string> All => new() { Store, Organization, Both };

    /// <summary>Publishes our app to the tenant as <paramref name="distribution"/> says; returns the entry the product should choose (the tenant's upload when both).</summary>
    public static CatalogApp Publish(
        SandboxHost sandbox, Guid tenantId, string distribution, string manifestId, string? botId = null, string? azureAdAppId = null,
        IReadOnlyList<RscEntry>? resourceSpecificPermissions = null)
    {
        var methods = distribution == Both ? new[] { Store, Organization } : [distribution];
        return methods.Select(m => sandbox.PublishTeamsApp(
                tenantId, manifestId, "IncidentIo", "1.0.0", botId: botId, azureAdAppId: azureAdAppId, distributionMethod: m, resourceSpecificPermissions: resourceSpecificPermissions))
            .OrderBy(a => a.DistributionMethod == Store ? 1 : 0).First();
    }
}
