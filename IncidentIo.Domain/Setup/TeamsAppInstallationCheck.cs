using IncidentIo.Domain.Announcements;
using IncidentIo.Domain.Audit;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.TeamsApp;
using Microsoft.EntityFrameworkCore;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Identity.Client;

namespace IncidentIo.Domain.Setup;

/// <summary>
/// "Check installation" for the manual path: asks Graph (app-only, with the global permissions)
/// which of the organisation's teams have our app, and records that setup got that far.
/// </summary>
public sealed class TeamsAppInstallationCheck(
    GraphClients graph,
    TeamsAppCatalog catalog,
    IDbContextFactory<IncidentIoDbContext> dbFactory,
    TimeProvider clock)
{
    public async Task<InstallationCheckResult> CheckAsync(Guid organizationId, string actor, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var organization = await db.Organizations.SingleAsync(o => o.Id == organizationId, cancellationToken);
        var found = new List<(string Name, Guid? GraphTeamId)>();
        var checkedTeams = 0;
        // Teams tells our bot when our app is added to a team: no need to ask Graph about every team then.
        var reported = await db.BotTeams.Where(t => t.OrganizationId == organizationId && t.RemovedAt == null)
            .OrderBy(t => t.Name).Select(t => new { t.Name, t.GraphTeamId }).ToListAsync(cancellationToken);
        if (reported.Count > 0)
        {
            return await RecordFoundAsync(db, organization, actor, [.. reported.Select(t => (t.Name, t.GraphTeamId))], checkedTeams, "as Teams told our bot", cancellationToken);
        }

        var client = graph.ForTenant(organization.MicrosoftTenantId);
        try
        {
            // Refreshed: the admin may just have uploaded our package or allowed the Store's.
            if (await catalog.FindAsync(organizationId, client, refresh: true, cancellationToken: cancellationToken) is not { } entry)
            {
                return InstallationCheckResult.Failed(
                    "Our app is not in your organisation's Teams app catalog yet: in the Teams admin center → Teams apps → Manage apps, allow IncidentIo (or upload our app package), add it to a team, then check again.",
                    null);
            }

            var teams = new List<Team>();
            var page = await client.Teams.GetAsync(request => request.QueryParameters.Select = ["id", "displayName"], cancellationToken);
            if (page is not null)
            {
                await PageIterator<Team, TeamCollectionResponse>.CreatePageIterator(client, page, team =>
                {
                    teams.Add(team);
                    return true;
                }).IterateAsync(cancellationToken);
            }

            foreach (var team in teams)
            {
                checkedTeams++;
                foreach (var catalogId in entry.Ids)
                {
                    var apps = await client.Teams[team.Id].InstalledApps.GetAsync(request =>
                    {
                        request.QueryParameters.Filter = CatalogEntry.InstalledFilter(catalogId);
                        request.QueryParameters.Expand = ["teamsAppDefinition"];
                    }, cancellationToken);
                    if (apps?.Value is { Count: > 0 })
                    {
                        found.Add((team.DisplayName ?? team.Id!, Guid.TryParse(team.Id, out var graphTeamId) ? graphTeamId : null));
                        break;
                    }
                }
            }
        }
        catch (ODataError error)
        {
            return InstallationCheckResult.Failed(
                $"Microsoft Graph answered {error.ResponseStatusCode} {error.Error?.Code}: {error.Error?.Message}",
                error.Error?.InnerError?.RequestId ?? (error.ResponseHeaders.TryGetValue("request-id", out var ids) ? ids.FirstOrDefault() : null));
        }
        catch (MsalServiceException error)
        {
            return InstallationCheckResult.Failed(
                $"We could not act in your organisation ({error.ErrorCode}): grant the global permissions first.", error.CorrelationId);
        }

        return found.Count > 0
            ? await RecordFoundAsync(db, organization, actor, found, checkedTeams, $"{checkedTeams} team(s) checked", cancellationToken)
            : new InstallationCheckResult([], checkedTeams, null, null);
    }

    private async Task<InstallationCheckResult> RecordFoundAsync(
        IncidentIoDbContext db, Organizations.Organization organization, string actor, List<(string Name, Guid? GraphTeamId)> found, int checkedTeams, string how, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var names = found.Select(t => t.Name).ToList();
        organization.Reach(SetupStage.TeamsAppInstalled, now);
        db.AuditLog.Add(AuditLogEntry.Record(
            organization.Id, now, actor, "setup.teams-app-found", $"Our app is installed in: {string.Join(", ", names)} ({how})."));
        await db.SaveChangesAsync(cancellationToken);
        // The default announcement rule goes to the team setup means: one named Incidents if our app is there, else the first found.
        var chosen = found.Where(t => t.GraphTeamId is not null)
            .OrderBy(t => string.Equals(t.Name, "Incidents", StringComparison.OrdinalIgnoreCase) ? 0 : 1).Select(t => t.GraphTeamId).FirstOrDefault();
        if (chosen is { } teamId)
        {
            await DefaultAnnouncementRule.RememberTeamAsync(dbFactory, organization.Id, teamId, now, cancellationToken);
        }

        return new InstallationCheckResult(names, checkedTeams, null, null);
    }
}

public sealed record InstallationCheckResult(IReadOnlyList<string> TeamsWithApp, int TeamsChecked, string? Error, string? RequestId)
{
    public static InstallationCheckResult Failed(string error, string? requestId) => new([], 0, error, requestId);
}
