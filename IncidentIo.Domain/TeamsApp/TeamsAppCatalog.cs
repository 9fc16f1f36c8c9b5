using IncidentIo.Domain.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Graph;

namespace IncidentIo.Domain.TeamsApp;

/// <summary>Our app's entry in a tenant's Teams app catalog: the id Graph binds installs to, and how it got there.</summary>
/// <param name="Id">The catalog id (<c>teamsApp.id</c>).</param>
/// <param name="Distribution"><c>store</c>, <c>organization</c> or <c>sideloaded</c>.</param>
/// <param name="OtherId">The other entry's catalog id when the tenant has our app both from the Store and uploaded: installs made from it count too.</param>
public sealed record CatalogEntry(string Id, string Distribution, string? OtherId = null)
{
    public const string Store = "store";
    public const string Organization = "organization";

    /// <summary>Every catalog id under which our app can be installed in this tenant, the chosen one first.</summary>
    public IReadOnlyList<string> Ids => OtherId is null ? [Id] : [Id, OtherId];

    /// <summary>The <c>installedApps</c> filter for one catalog id: it works for every distribution (a Store app's <c>externalId</c> is empty).</summary>
    public static string InstalledFilter(string catalogId) => $"teamsApp/id eq '{catalogId.Replace("'", "''", StringComparison.Ordinal)}'";
}

/// <summary>
/// Finds our app in a tenant's catalog however the tenant has it, and remembers it per organisation.
/// A Store app's catalog id is our manifest id and its <c>externalId</c> is empty; an app the
/// tenant uploaded has a catalog id of its own and our manifest id as <c>externalId</c>
/// (<see href="https://learn.microsoft.com/en-us/graph/api/resources/teamsapp"/>,
/// <see href="https://learn.microsoft.com/en-us/graph/api/appcatalogs-list-teamsapps"/>). So we ask
/// by <c>id</c> first, then by <c>externalId</c>. When the tenant has both, its own upload wins: an
/// admin put it there on purpose (see docs/architecture.md).
/// </summary>
public sealed class TeamsAppCatalog(IDbContextFactory<IncidentIoDbContext> dbFactory, IOptions<TeamsAppOptions> teamsApp, TimeProvider clock)
{
    /// <summary>How long a remembered entry is used before asking again (a tenant may add or remove an entry meanwhile).</summary>
    public static readonly TimeSpan RememberFor = TimeSpan.FromHours(1);

    /// <summary>
    /// Our app's entry for the organisation: remembered if fresh (and <paramref name="refresh"/> is
    /// false), else read from Graph with <paramref name="graph"/> and remembered. Null, and forgotten,
    /// when the catalog has no entry. Graph's errors reach the caller.
    /// </summary>
    /// <param name="beforeEachCall">Pacing the caller wants before each Graph request.</param>
    public async Task<CatalogEntry?> FindAsync(
        Guid organizationId, GraphServiceClient graph, bool refresh = false, Func<CancellationToken, Task>? beforeEachCall = null, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var organization = await db.Organizations.SingleAsync(o => o.Id == organizationId, cancellationToken);
        if (!refresh && organization.TeamsAppCatalogId is { } knownId && organization.TeamsAppDistribution is { } knownDistribution
            && organization.TeamsAppCatalogCheckedAt > clock.GetUtcNow() - RememberFor)
        {
            return new CatalogEntry(knownId, knownDistribution, organization.TeamsAppOtherCatalogId);
        }

        var entry = await ResolveAsync(graph, teamsApp.Value.AppId, beforeEachCall, cancellationToken);
        organization.TeamsAppCatalogId = entry?.Id;
        organization.TeamsAppDistribution = entry?.Distribution;
        organization.TeamsAppOtherCatalogId = entry?.OtherId;
        organization.TeamsAppCatalogCheckedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        return entry;
    }

    /// <summary>What the organisation's catalog held when last asked (no Graph call); null when never asked or not found.</summary>
    public async Task<CatalogEntry?> RememberedAsync(Guid organizationId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var known = await db.Organizations.AsNoTracking().Where(o => o.Id == organizationId)
            .Select(o => new { o.TeamsAppCatalogId, o.TeamsAppDistribution, o.TeamsAppOtherCatalogId }).SingleOrDefaultAsync(cancellationToken);
        return known is { TeamsAppCatalogId: { } id, TeamsAppDistribution: { } distribution } ? new CatalogEntry(id, distribution, known.TeamsAppOtherCatalogId) : null;
    }

    /// <summary>Asks the catalog by <c>id</c> (a Store app), then by <c>externalId</c> (the tenant's own upload).</summary>
    public static async Task<CatalogEntry?> ResolveAsync(
        GraphServiceClient graph, string manifestId, Func<CancellationToken, Task>? beforeEachCall = null, CancellationToken cancellationToken = default)
    {
        var quoted = manifestId.Replace("'", "''", StringComparison.Ordinal);
        if (beforeEachCall is not null)
        {
            await beforeEachCall(cancellationToken);
        }

        var byId = await graph.AppCatalogs.TeamsApps.GetAsync(r => r.QueryParameters.Filter = $"id eq '{quoted}'", cancellationToken);
        var store = byId?.Value?.FirstOrDefault(a => a.Id is not null);
        if (beforeEachCall is not null)
        {
            await beforeEachCall(cancellationToken);
        }

        var byExternalId = await graph.AppCatalogs.TeamsApps.GetAsync(r => r.QueryParameters.Filter = $"externalId eq '{quoted}'", cancellationToken);
        // The organisation's upload before a user's sideloaded copy.
        var own = byExternalId?.Value?.Where(a => a.Id is not null)
            .OrderBy(a => a.DistributionMethod == Microsoft.Graph.Models.TeamsAppDistributionMethod.Organization ? 0 : 1).FirstOrDefault();
        return (own, store) switch
        {
            ({ } o, { } s) => new CatalogEntry(o.Id!, Name(o.DistributionMethod, CatalogEntry.Organization), s.Id),
            ({ } o, null) => new CatalogEntry(o.Id!, Name(o.DistributionMethod, CatalogEntry.Organization)),
            (null, { } s) => new CatalogEntry(s.Id!, Name(s.DistributionMethod, CatalogEntry.Store)),
            _ => null,
        };
    }

    private static string Name(Microsoft.Graph.Models.TeamsAppDistributionMethod? method, string otherwise) => method switch
    {
        Microsoft.Graph.Models.TeamsAppDistributionMethod.Store => CatalogEntry.Store,
        Microsoft.Graph.Models.TeamsAppDistributionMethod.Organization => CatalogEntry.Organization,
        Microsoft.Graph.Models.TeamsAppDistributionMethod.Sideloaded => "sideloaded",
        _ => otherwise,
    };
}
