using IncidentIo.Domain.Data;
using IncidentIo.Domain.MicrosoftCloud;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Identity.Client;

namespace IncidentIo.Domain.Reachability;

/// <summary>
/// The Teams teams a person is in, asked of Microsoft (<c>GET /users/{id}/joinedTeams</c>) when
/// support compares them with someone the bot reaches: being in no team is a common cause.
/// </summary>
public sealed class PersonTeams(IDbContextFactory<IncidentIoDbContext> dbFactory, MainAppTokens tokens, IOptions<AppInstallationOptions> options, IServiceProvider services, TimeProvider clock)
{
    /// <returns>The team names, "in no team", or why Microsoft could not say.</returns>
    public async Task<string> DescribeAsync(Guid organizationId, Guid userId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var person = await db.Users.Where(u => u.Id == userId && u.OrganizationId == organizationId)
            .Select(u => new { u.MicrosoftObjectId, u.Organization!.MicrosoftTenantId }).SingleOrDefaultAsync(cancellationToken);
        if (person is null)
        {
            return "—";
        }

        using var graph = new RecordedGraph(services, ct => tokens.AcquireAsync(person.MicrosoftTenantId, cancellationToken: ct), options.Value.CallTimeout, clock);
        try
        {
            var teams = await graph.Client.Users[person.MicrosoftObjectId.ToString()].JoinedTeams.GetAsync(cancellationToken: cancellationToken);
            var names = teams?.Value?.Select(t => t.DisplayName ?? t.Id).Order(StringComparer.CurrentCulture).ToList() ?? [];
            return names.Count == 0 ? "in no team" : string.Join(", ", names);
        }
        catch (ODataError error)
        {
            return $"Microsoft could not say ({error.ResponseStatusCode} {error.Error?.Code})";
        }
        catch (Exception error) when (error is MsalException or HttpRequestException or TaskCanceledException)
        {
            return $"Microsoft could not say ({error.GetType().Name})";
        }
    }
}
