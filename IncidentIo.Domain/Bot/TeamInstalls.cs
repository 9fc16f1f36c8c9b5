using System.Net;
using Hangfire;
using IncidentIo.Domain.ActiveUsers;
using IncidentIo.Domain.Audit;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.People;
using IncidentIo.Domain.Reachability;
using IncidentIo.Domain.Setup.AutomaticInstall;
using IncidentIo.Domain.TeamsApp;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Identity.Client;

namespace IncidentIo.Domain.Bot;

/// <summary>
/// Our app in teams other than the Incidents team: which of a person's teams have it, and adding it
/// to one with a click. Adding needs <c>TeamsAppInstallation.ReadWriteForTeam.All</c>, which only
/// the temporary setup app holds (while the customer keeps it granted); without it we say how to
/// add the app by hand. Teams then tells our bot, which records the team.
/// </summary>
public sealed class TeamInstalls(
    IDbContextFactory<IncidentIoDbContext> dbFactory,
    MainAppTokens mainTokens,
    SetupAppTokens setupTokens,
    PersonTeams personTeams,
    TeamsAppCatalog catalog,
    IOptions<AppInstallationOptions> installOptions,
    IBackgroundJobClient jobs,
    IServiceProvider services,
    TimeProvider clock)
{
    public const string InstallPermission = "TeamsAppInstallation.ReadWriteForTeam.All";

    /// <summary>The Teams steps everyone else shows (<see cref="TeamsSteps"/>), as one plain sentence for messages.</summary>
    public static readonly string ByHand =
        string.Join(" ", TeamsSteps.AddOurAppToTeam("the team")).Replace("**", "", StringComparison.Ordinal) +
        " A team owner can do this; your Teams admin may need to allow the app first.";

    /// <summary>The teams a person is in, each with whether our app is installed there; or why Microsoft could not say.</summary>
    public async Task<PersonTeamsAnswer> TeamsOfAsync(Guid organizationId, Guid userId, CancellationToken cancellationToken = default)
    {
        var person = await PersonAsync(organizationId, userId, cancellationToken);
        if (person is null)
        {
            return PersonTeamsAnswer.Failed("No such person in this organisation.");
        }

        var (joined, failure) = await personTeams.JoinedTeamsAsync(person.TenantId, person.ObjectId, _ => false, cancellationToken);
        if (joined is null)
        {
            return PersonTeamsAnswer.Failed($"{failure}.");
        }

        using var graph = new RecordedGraph(services, ct => mainTokens.AcquireAsync(person.TenantId, cancellationToken: ct), installOptions.Value.CallTimeout, clock);
        try
        {
            var entry = await catalog.FindAsync(organizationId, graph.Client, cancellationToken: cancellationToken);
            var teams = new List<PersonTeam>();
            foreach (var team in joined)
            {
                teams.Add(new PersonTeam(team.GraphId, team.Name ?? team.GraphId.ToString(), entry is not null && await HasOurAppAsync(graph, entry, team.GraphId, cancellationToken)));
            }

            return new PersonTeamsAnswer([.. teams.OrderBy(t => t.Name, StringComparer.CurrentCulture)], null);
        }
        catch (ODataError error)
        {
            return PersonTeamsAnswer.Failed($"Microsoft could not say ({error.ResponseStatusCode} {error.Error?.Code}: {error.Error?.Message}).");
        }
        catch (Exception error) when (error is MsalException or HttpRequestException or TaskCanceledException)
        {
            return PersonTeamsAnswer.Failed($"Microsoft could not say ({error.GetType().Name}).");
        }
    }

    /// <summary>The organisation's teams (up to <paramref name="take"/>, by name), each with whether our bot reported being installed there.</summary>
    public async Task<PersonTeamsAnswer> TenantTeamsAsync(Guid organizationId, int take = 200, CancellationToken cancellationToken = default)
    {
        HashSet<Guid> ours;
        Guid tenantId;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            tenantId = await db.Organizations.Where(o => o.Id == organizationId).Select(o => o.MicrosoftTenantId).SingleOrDefaultAsync(cancellationToken);
            ours = [.. await db.BotTeams.Where(t => t.OrganizationId == organizationId && t.RemovedAt == null && t.GraphTeamId != null)
                .Select(t => t.GraphTeamId!.Value).ToListAsync(cancellationToken)];
        }

        if (tenantId == Guid.Empty)
        {
            return PersonTeamsAnswer.Failed("No such organisation.");
        }

        using var graph = new RecordedGraph(services, ct => mainTokens.AcquireAsync(tenantId, cancellationToken: ct), installOptions.Value.CallTimeout, clock);
        try
        {
            var teams = new List<PersonTeam>();
            var page = await graph.Client.Teams.GetAsync(r => r.QueryParameters.Select = ["id", "displayName"], cancellationToken);
            while (page is not null)
            {
                teams.AddRange((page.Value ?? []).Where(t => Guid.TryParse(t.Id, out _))
                    .Select(t => new PersonTeam(Guid.Parse(t.Id!), t.DisplayName ?? t.Id!, ours.Contains(Guid.Parse(t.Id!)))));
                if (teams.Count >= take || page.OdataNextLink is not { } next)
                {
                    break;
                }

                page = await graph.Client.Teams.WithUrl(next).GetAsync(cancellationToken: cancellationToken);
            }

            return new PersonTeamsAnswer([.. teams.Take(take).OrderBy(t => t.Name, StringComparer.CurrentCulture)], null);
        }
        catch (ODataError error)
        {
            return PersonTeamsAnswer.Failed($"Microsoft could not list the teams ({error.ResponseStatusCode} {error.Error?.Code}: {error.Error?.Message}).");
        }
        catch (Exception error) when (error is MsalException or HttpRequestException or TaskCanceledException)
        {
            return PersonTeamsAnswer.Failed($"Microsoft could not be reached ({error.GetType().Name}).");
        }
    }

    /// <summary>Whether a one-click install can work now: the temporary setup app is configured and still granted.</summary>
    public async Task<bool> CanInstallAsync(Guid organizationId, CancellationToken cancellationToken = default)
    {
        if (!setupTokens.IsConfigured || await TenantOfAsync(organizationId, cancellationToken) is not { } tenantId)
        {
            return false;
        }

        try
        {
            return (await setupTokens.GrantedAsync(tenantId, cancellationToken)).Contains(InstallPermission);
        }
        catch (MsalException)
        {
            return false;
        }
    }

    /// <summary>Adds our app to a team, as <paramref name="actor"/>; audited.</summary>
    public async Task<TeamInstallOutcome> InstallAsync(Guid organizationId, Guid teamId, string actor, CancellationToken cancellationToken = default)
    {
        if (await TenantOfAsync(organizationId, cancellationToken) is not { } tenantId)
        {
            return new TeamInstallOutcome(false, "No such organisation.");
        }

        if (!await CanInstallAsync(organizationId, cancellationToken))
        {
            return new TeamInstallOutcome(false,
                $"We cannot add apps to teams: that needs the temporary setup permissions ({InstallPermission}), which are not granted now. " +
                $"Grant them again in setup's last step, or add the app by hand. {ByHand}");
        }

        using var graph = new RecordedGraph(services, ct => setupTokens.AcquireAsync(tenantId, cancellationToken: ct), installOptions.Value.CallTimeout, clock);
        string said;
        try
        {
            if (await catalog.FindAsync(organizationId, graph.Client, cancellationToken: cancellationToken) is not { } entry)
            {
                return new TeamInstallOutcome(false, NotInCatalog);
            }

            if (await HasOurAppAsync(graph, entry, teamId, cancellationToken))
            {
                RequestRosterRead(organizationId, teamId);
                return new TeamInstallOutcome(true, "Our app was already in the team." + await RestoreMembersAsync(organizationId, tenantId, teamId, actor, cancellationToken));
            }

            try
            {
                await AddToTeamAsync(graph, teamId, entry.Id, cancellationToken);
            }
            catch (ODataError error) when (error.ResponseStatusCode == (int)HttpStatusCode.NotFound)
            {
                // The team, or our app's catalog entry, is gone: a changed entry is tried once.
                var again = await catalog.FindAsync(organizationId, graph.Client, refresh: true, cancellationToken: cancellationToken);
                if (again is null)
                {
                    return new TeamInstallOutcome(false, NotInCatalog);
                }

                if (again.Id == entry.Id)
                {
                    throw;
                }

                await AddToTeamAsync(graph, teamId, again.Id, cancellationToken);
            }

            said = "Added our app to the team.";
        }
        catch (ODataError error) when (error.ResponseStatusCode == (int)HttpStatusCode.Conflict)
        {
            said = "Our app was already in the team.";
        }
        catch (ODataError error)
        {
            var requestId = error.Error?.InnerError?.RequestId;
            return new TeamInstallOutcome(false, error.ResponseStatusCode switch
            {
                400 when RscInstallRefusal.Is(error) => $"{RscInstallRefusal.Explanation} (request id {requestId})",
                403 => $"Microsoft refused (403 {error.Error?.Code}): the temporary setup permissions may have just been removed, or a policy blocks our app. {ByHand} (request id {requestId})",
                404 => $"Microsoft does not know that team any more (404). (request id {requestId})",
                _ => $"Microsoft answered {error.ResponseStatusCode} {error.Error?.Code}: {error.Error?.Message}. Try again in a moment. (request id {requestId})",
            });
        }
        catch (Exception error) when (error is MsalException or HttpRequestException or TaskCanceledException)
        {
            return new TeamInstallOutcome(false, $"Microsoft could not be reached ({error.GetType().Name}). Try again in a moment.");
        }

        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            db.AuditLog.Add(AuditLogEntry.Record(organizationId, clock.GetUtcNow(), actor, "teams-app.installed-in-team", $"team {teamId}"));
            await db.SaveChangesAsync(cancellationToken);
        }

        RequestRosterRead(organizationId, teamId);
        return new TeamInstallOutcome(true, said + await RestoreMembersAsync(organizationId, tenantId, teamId, actor, cancellationToken));
    }

    /// <summary>
    /// The team's members who had been deactivated count again at once. Waiting for the sweep would not
    /// do: it reads the teams our bot has reported, and Teams tells our bot about this one only later.
    /// </summary>
    /// <returns>A sentence for the outcome: how many were restored, or that the next sweep will.</returns>
    private async Task<string> RestoreMembersAsync(Guid organizationId, Guid tenantId, Guid teamId, string actor, CancellationToken cancellationToken)
    {
        var members = new List<Guid>();
        using var graph = new RecordedGraph(services, ct => mainTokens.AcquireAsync(tenantId, cancellationToken: ct), installOptions.Value.CallTimeout, clock);
        try
        {
            var page = await graph.Client.Teams[teamId.ToString()].Members.GetAsync(cancellationToken: cancellationToken);
            while (page is not null)
            {
                foreach (var member in page.Value?.OfType<AadUserConversationMember>() ?? [])
                {
                    if (Guid.TryParse(member.UserId, out var objectId))
                    {
                        members.Add(objectId);
                    }
                }

                page = page.OdataNextLink is { } next
                    ? await graph.Client.Teams[teamId.ToString()].Members.WithUrl(next).GetAsync(cancellationToken: cancellationToken)
                    : null;
            }
        }
        catch (Exception error) when (error is ODataError or MsalException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return " We could not read its members just now: any of them who were deactivated are restored by the next sweep.";
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var restored = await TeamMembershipChanges.ReactivateAsync(
            db, organizationId, members, $"is in a team where IncidentIo was just added (team {teamId}, by {actor})", clock.GetUtcNow(), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        return restored switch
        {
            0 => "",
            1 => " 1 of its members who had been deactivated is active again.",
            _ => $" {restored} of its members who had been deactivated are active again.",
        };
    }

    /// <summary>The team's members become people of the organisation (a job; Teams tells our bot about the team only later).</summary>
    private void RequestRosterRead(Guid organizationId, Guid teamId) =>
        jobs.Enqueue<TeamRosters>(r => r.RequestAsync(organizationId, teamId, $"team {teamId}", "team-install", CancellationToken.None));

    private const string NotInCatalog =
        "Our app is not in your organisation's Teams app catalog: in the Teams admin center, allow IncidentIo (or upload our app package), then try again.";

    /// <summary>Whether the team has our app under any of its catalog ids (Store, the tenant's upload).</summary>
    private static async Task<bool> HasOurAppAsync(RecordedGraph graph, CatalogEntry entry, Guid teamId, CancellationToken cancellationToken)
    {
        foreach (var catalogId in entry.Ids)
        {
            var installed = await graph.Client.Teams[teamId.ToString()].InstalledApps.GetAsync(
                request => request.QueryParameters.Filter = CatalogEntry.InstalledFilter(catalogId), cancellationToken);
            if (installed?.Value is { Count: > 0 })
            {
                return true;
            }
        }

        return false;
    }

    private static async Task AddToTeamAsync(RecordedGraph graph, Guid teamId, string catalogId, CancellationToken cancellationToken) =>
        await graph.Client.Teams[teamId.ToString()].InstalledApps.PostAsync(new TeamsAppInstallation
        {
            AdditionalData = new Dictionary<string, object> { ["teamsApp@odata.bind"] = $"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/{catalogId}" },
        }, cancellationToken: cancellationToken);

    private async Task<Guid?> TenantOfAsync(Guid organizationId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Organizations.Where(o => o.Id == organizationId).Select(o => (Guid?)o.MicrosoftTenantId).SingleOrDefaultAsync(cancellationToken);
    }

    private async Task<Person?> PersonAsync(Guid organizationId, Guid userId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Users.Where(u => u.Id == userId && u.OrganizationId == organizationId)
            .Select(u => new Person(u.MicrosoftObjectId, u.Organization!.MicrosoftTenantId)).SingleOrDefaultAsync(cancellationToken);
    }

    private sealed record Person(Guid ObjectId, Guid TenantId);
}

public sealed record PersonTeam(Guid TeamId, string Name, bool HasOurApp);

public sealed record PersonTeamsAnswer(IReadOnlyList<PersonTeam> Teams, string? Problem)
{
    public static PersonTeamsAnswer Failed(string problem) => new([], problem);
}

public sealed record TeamInstallOutcome(bool Succeeded, string Message);
