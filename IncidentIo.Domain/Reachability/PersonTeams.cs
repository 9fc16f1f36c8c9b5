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

        var (teams, failure) = await JoinedTeamsAsync(person.MicrosoftTenantId, person.MicrosoftObjectId, _ => false, cancellationToken);
        if (teams is null)
        {
            return $"Microsoft could not say: {failure}";
        }

        var names = teams.Select(t => t.Name ?? t.GraphId.ToString()).Order(StringComparer.CurrentCulture).ToList();
        return names.Count == 0 ? "in no team" : string.Join(", ", names);
    }

    /// <summary>
    /// The teams a person is in by Graph id (<c>GET /users/{id}/joinedTeams</c>), with each team's
    /// General channel thread id (how the bot knows the team) read for the ids <paramref name="threadIdNeeded"/>
    /// asks for: joinedTeams does not carry it, <c>GET /teams/{id}</c> does (<c>internalId</c>).
    /// </summary>
    /// <returns>The teams, or why Microsoft could not say (then nothing is returned).</returns>
    public async Task<(IReadOnlyList<JoinedTeam>? Teams, string? Failure)> JoinedTeamsAsync(
        Guid tenantId, Guid objectId, Func<Guid, bool> threadIdNeeded, CancellationToken cancellationToken = default)
    {
        using var graph = new RecordedGraph(services, ct => tokens.AcquireAsync(tenantId, cancellationToken: ct), options.Value.CallTimeout, clock);
        try
        {
            var teams = new List<JoinedTeam>();
            var page = await graph.Client.Users[objectId.ToString()].JoinedTeams.GetAsync(cancellationToken: cancellationToken);
            while (page is not null)
            {
                foreach (var team in page.Value ?? [])
                {
                    if (!Guid.TryParse(team.Id, out var id))
                    {
                        continue;
                    }

                    var threadId = threadIdNeeded(id)
                        ? (await graph.Client.Teams[team.Id].GetAsync(r => r.QueryParameters.Select = ["id", "internalId"], cancellationToken))?.InternalId
                        : null;
                    teams.Add(new JoinedTeam(id, team.DisplayName, threadId));
                }

                page = page.OdataNextLink is { } next
                    ? await graph.Client.Users[objectId.ToString()].JoinedTeams.WithUrl(next).GetAsync(cancellationToken: cancellationToken)
                    : null;
            }

            return (teams, null);
        }
        catch (ODataError error)
        {
            return (null, $"Microsoft Graph answered {error.ResponseStatusCode} {error.Error?.Code}");
        }
        catch (Exception error) when (error is MsalException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return (null, $"Microsoft Graph could not be asked ({error.GetType().Name})");
        }
    }
}

/// <summary>A team someone is in: its Graph id, name, and General channel thread id when it was read.</summary>
public sealed record JoinedTeam(Guid GraphId, string? Name, string? ThreadId);
