using System.Collections.Concurrent;
using System.Net;
using IncidentIo.Domain.Bot;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.People;
using IncidentIo.Domain.TeamsApp;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Graph.Models;

namespace IncidentIo.Domain.ActiveUsers;

/// <summary>
/// The sweep's reads through Graph: which teams have our app (our <see cref="BotTeam"/> rows
/// confirmed 20 to a <c>$batch</c>, or every team in the tenant), everyone in them, and, before
/// anyone is deactivated on the strength of our rows, the teams those people are in. Every read
/// is paced per tenant with every worker and retried (<see cref="PacedGraphCalls"/>).
/// </summary>
public sealed class BotTeamReader(
    IDbContextFactory<IncidentIoDbContext> dbFactory,
    PacedGraphCalls calls,
    TeamMemberReader memberReader,
    IOptions<ActiveUserSweepOptions> options,
    TeamsAppCatalog catalog)
{
    public const string TeamsOperation = "get-teams";
    public const string InstalledAppsOperation = "get-team-installed-apps";
    public const string JoinedTeamsOperation = "get-joined-teams";
    public const string CatalogOperation = "get-appcatalogs";

    /// <summary>Microsoft's most requests in one <c>$batch</c>.</summary>
    private const int BatchEndpointLimit = 20;

    private readonly ActiveUserSweepOptions settings = options.Value;

    /// <summary>
    /// Which teams count, and everyone in them. The known set is our <see cref="BotTeam"/> rows (from
    /// the bot's installation events); each is confirmed through Graph before its members count, so
    /// a team our app was removed from stops counting even if we missed that event. Without any rows
    /// (an organisation from before the events were recorded) every team in the tenant is checked.
    /// </summary>
    /// <param name="whileConfirming">
    /// With rows: called once the members of every recorded team are read and while the teams are
    /// still being confirmed, with everyone read so far, for work that can start early (asking about
    /// the people who would leave); its failure, if any, is the read's.
    /// </param>
    public async Task<MembersRead> ReadAsync(
        Guid organizationId, Guid tenantId, RecordedGraph graph, ConcurrentDictionary<Guid, FoundMember> found,
        Func<ConcurrentDictionary<Guid, byte>, TeamsRead, CancellationToken, Task<string?>>? whileConfirming, CancellationToken cancellationToken)
    {
        List<TeamRef> candidates;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            // Rows without a Graph id cannot be read; their members are caught by the check before deactivating (see CheckCandidatesAsync).
            candidates = await db.BotTeams.AsNoTracking()
                .Where(t => t.OrganizationId == organizationId && t.RemovedAt == null && t.GraphTeamId != null)
                .Select(t => new TeamRef(t.GraphTeamId!.Value.ToString(), t.Name)).ToListAsync(cancellationToken);
        }

        var fromRows = candidates.Count > 0;
        if (!fromRows)
        {
            var listed = await ListTeamsAsync(tenantId, graph, cancellationToken);
            if (listed.Failure is not null)
            {
                return new MembersRead(new TeamsRead(), false, listed.Failure);
            }

            candidates = listed.Teams;
        }

        // Which catalog ids count as our app: a tenant may have it from the Store, uploaded, or both.
        var (entry, catalogError) = await memberReader.WithRetriesAsync(tenantId, CatalogOperation, settings.TeamsReadsPerSecond,
            () => catalog.FindAsync(organizationId, graph.Client, cancellationToken: cancellationToken), cancellationToken);
        if (catalogError is not null)
        {
            return new MembersRead(new TeamsRead(), fromRows, $"our app could not be looked up in the Teams app catalog: {catalogError}");
        }

        if (entry is null)
        {
            return new MembersRead(new TeamsRead(), fromRows,
                "our app is not in the organisation's Teams app catalog, so no team could be confirmed to have it (allow IncidentIo in the Teams admin center)");
        }

        var read = new TeamsRead { Found = found, Catalog = entry };
        var failure = fromRows
            ? await ReadRecordedTeamsAsync(tenantId, graph, candidates, read, whileConfirming, cancellationToken)
            : await ReadTeamsWithOurAppAsync(tenantId, graph, candidates, read, cancellationToken);
        return new MembersRead(read, fromRows, failure);
    }

    /// <summary>Every team in the tenant, through Graph (a page of 100 per request by default).</summary>
    private async Task<(List<TeamRef> Teams, string? Failure)> ListTeamsAsync(Guid tenantId, RecordedGraph graph, CancellationToken cancellationToken)
    {
        var all = new List<TeamRef>();
        var page = await memberReader.WithRetriesAsync(tenantId, TeamsOperation, settings.TeamsReadsPerSecond, () =>
            graph.Client.Teams.GetAsync(r => r.QueryParameters.Select = ["id", "displayName"], cancellationToken), cancellationToken);
        while (page.Result is { } teams)
        {
            all.AddRange((teams.Value ?? []).Where(t => t.Id is not null).Select(t => new TeamRef(t.Id!, t.DisplayName ?? t.Id!)));
            if (teams.OdataNextLink is not { } next)
            {
                break;
            }

            page = await memberReader.WithRetriesAsync(tenantId, TeamsOperation, settings.TeamsReadsPerSecond, () => graph.Client.Teams.WithUrl(next).GetAsync(cancellationToken: cancellationToken), cancellationToken);
        }

        return page.Error is { } listError ? ([], $"the list of teams could not be read: {listError}") : (all, null);
    }

    /// <summary>
    /// Checks 20 teams at a time for our app (one <c>$batch</c> of GET installedApps), then reads the
    /// members of those that have it; batches run side by side, so the checks (30/s) and the member
    /// reads (60/s) overlap instead of one waiting for the other.
    /// </summary>
    /// <returns>null when every team was checked and every bot team read completely; otherwise why not.</returns>
    private async Task<string?> ReadTeamsWithOurAppAsync(Guid tenantId, RecordedGraph graph, IReadOnlyList<TeamRef> teams, TeamsRead read, CancellationToken cancellationToken)
    {
        string? failure = null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            // One step per team and catalog id our app has in the tenant (two when it is there from the Store and uploaded).
            var catalogIds = read.Catalog!.Ids;
            var batches = teams.Where(t => read.Checked.TryAdd(t.Id, 0)).Chunk(BatchEndpointLimit / catalogIds.Count);
            await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = settings.TeamConcurrency, CancellationToken = stop.Token }, async (chunk, ct) =>
            {
                var answers = await CheckForOurAppAsync(tenantId, graph, chunk, catalogIds, ct);
                foreach (var team in chunk)
                {
                    var (hasOurApp, error) = Confirmation(answers, team, catalogIds.Count);
                    if (error is not null)
                    {
                        Interlocked.CompareExchange(ref failure, $"whether our bot is in \"{team.Name}\" could not be read: {error}", null);
                        await stop.CancelAsync();
                        return;
                    }

                    if (!hasOurApp)
                    {
                        continue; // the team is gone, or our app was removed from it: it stops counting
                    }

                    var membersError = await ReadTeamAsync(tenantId, graph, team, read, ct);
                    if (membersError is not null)
                    {
                        Interlocked.CompareExchange(ref failure, $"the members of \"{team.Name}\" could not be read completely: {membersError}", null);
                        await stop.CancelAsync();
                        return;
                    }

                    read.Names.Add(team.Name);
                }
            });
        }
        catch (OperationCanceledException) when (failure is not null && !cancellationToken.IsCancellationRequested)
        {
            // One team failed: the others were stopped, the run is inconclusive anyway.
        }

        return failure;
    }

    /// <summary>
    /// Our recorded teams: each is confirmed to still have our app (20 to a <c>$batch</c>) while, side
    /// by side, the members of every one are read, so the confirmations (30/s, the slowest class) are
    /// the only wait and <paramref name="whileConfirming"/> can start before the last one comes back.
    /// Only confirmed teams count: a member read that failed on a team without our app (a 403 once
    /// our bot is gone) changes nothing, one that failed on a team with it makes the read incomplete.
    /// </summary>
    /// <returns>null when every team was checked and every bot team read completely; otherwise why not.</returns>
    private async Task<string?> ReadRecordedTeamsAsync(
        Guid tenantId, RecordedGraph graph, IReadOnlyList<TeamRef> teams, TeamsRead read,
        Func<ConcurrentDictionary<Guid, byte>, TeamsRead, CancellationToken, Task<string?>>? whileConfirming, CancellationToken cancellationToken)
    {
        var catalogIds = read.Catalog!.Ids;
        var recorded = teams.Where(t => read.Checked.TryAdd(t.Id, 0)).ToList();
        var confirmed = new ConcurrentDictionary<string, byte>(StringComparer.OrdinalIgnoreCase);
        var membersOf = new ConcurrentDictionary<string, List<TeamMember>>(StringComparer.OrdinalIgnoreCase);
        var readErrors = new ConcurrentDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? failure = null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        // A few batches in flight keep the confirmations at their pace; the pacer spaces them.
        var confirming = Parallel.ForEachAsync(recorded.Chunk(BatchEndpointLimit / catalogIds.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Min(4, settings.TeamConcurrency), CancellationToken = stop.Token }, async (chunk, ct) =>
            {
                var answers = await CheckForOurAppAsync(tenantId, graph, chunk, catalogIds, ct);
                foreach (var team in chunk)
                {
                    var (hasOurApp, error) = Confirmation(answers, team, catalogIds.Count);
                    if (error is not null)
                    {
                        Interlocked.CompareExchange(ref failure, $"whether our bot is in \"{team.Name}\" could not be read: {error}", null);
                        await stop.CancelAsync();
                        return;
                    }

                    if (hasOurApp)
                    {
                        confirmed.TryAdd(team.Id, 0);
                    }
                }
            });
        var reading = Parallel.ForEachAsync(recorded, new ParallelOptions { MaxDegreeOfParallelism = settings.TeamConcurrency, CancellationToken = stop.Token }, async (team, ct) =>
        {
            var members = new List<TeamMember>();
            var error = await memberReader.ReadAllAsync(tenantId, graph, team.Id, members.AddRange, ct);
            if (error is null)
            {
                membersOf[team.Id] = members;
            }
            else
            {
                readErrors[team.Id] = error;
            }
        });

        string? early = null;
        try
        {
            await reading;
            if (whileConfirming is not null && Volatile.Read(ref failure) is null)
            {
                var provisional = new ConcurrentDictionary<Guid, byte>();
                foreach (var member in membersOf.Values.SelectMany(m => m))
                {
                    provisional.TryAdd(member.ObjectId, 0);
                }

                early = await whileConfirming(provisional, read, stop.Token);
            }

            await confirming;
        }
        catch (OperationCanceledException) when (failure is not null && !cancellationToken.IsCancellationRequested)
        {
            // A confirmation failed: the rest were stopped, the run is inconclusive anyway.
        }
        finally
        {
            if (!confirming.IsCompleted)
            {
                // Something else ended the read (the run was stopped, or sign-in failed): no confirmation goes on without it.
                await stop.CancelAsync();
                await Task.WhenAny(confirming);
                _ = confirming.Exception;
            }
        }

        if (failure is not null)
        {
            return failure;
        }

        foreach (var team in recorded.Where(t => confirmed.ContainsKey(t.Id)))
        {
            if (readErrors.TryGetValue(team.Id, out var error))
            {
                return $"the members of \"{team.Name}\" could not be read completely: {error}";
            }

            foreach (var member in membersOf[team.Id])
            {
                read.Members.TryAdd(member.ObjectId, 0);
                read.Saw(member, team.Name);
            }

            read.Names.Add(team.Name);
        }

        return early;
    }

    /// <summary>One <c>$batch</c> of GET installedApps: a step per team and catalog id our app has in the tenant.</summary>
    private Task<Dictionary<string, BatchAnswer<TeamsAppInstallationCollectionResponse>>> CheckForOurAppAsync(
        Guid tenantId, RecordedGraph graph, IReadOnlyList<TeamRef> chunk, IReadOnlyList<string> catalogIds, CancellationToken cancellationToken) =>
        calls.BatchGetAsync<TeamsAppInstallationCollectionResponse>(tenantId, memberReader.Policy(InstalledAppsOperation, settings.TeamsReadsPerSecond), graph.Client,
            [.. chunk.SelectMany(t => catalogIds.Select((catalogId, i) => (StepKey(t, i),
                graph.Client.Teams[t.Id].InstalledApps.ToGetRequestInformation(r => r.QueryParameters.Filter = CatalogEntry.InstalledFilter(catalogId)))))],
            cancellationToken);

    /// <summary>Whether the team has our app under any catalog id; a team that is gone (404) has not; a failed step is an error.</summary>
    private static (bool HasOurApp, string? Error) Confirmation(
        Dictionary<string, BatchAnswer<TeamsAppInstallationCollectionResponse>> answers, TeamRef team, int catalogIdCount)
    {
        var perId = Enumerable.Range(0, catalogIdCount).Select(i => answers[StepKey(team, i)]).ToList();
        if (perId.Any(a => a.Status == (int)HttpStatusCode.NotFound))
        {
            return (false, null);
        }

        return perId.FirstOrDefault(a => a.Error is not null).Error is { } error
            ? (false, error)
            : (perId.Any(a => a.Result?.Value is { Count: > 0 }), null);
    }

    private static string StepKey(TeamRef team, int catalogIndex) => catalogIndex == 0 ? team.Id : $"{team.Id}#{catalogIndex}";

    /// <summary>
    /// Before deactivating anyone on the strength of our own records: asks Graph which teams each
    /// of them is in (GET joinedTeams, 20 per <c>$batch</c>) and checks those we have no row for.
    /// A team with our app counts even without a row, and its members are read: a missed
    /// installation event must not lock people out. Trusting only the rows would be cheaper but
    /// wrong in the dangerous direction (removing access); the extra reads are per leaving user,
    /// a small share of the organisation on an ordinary day.
    /// </summary>
    /// <returns>null when every candidate was checked; otherwise why not (the run is then inconclusive).</returns>
    public async Task<string?> CheckCandidatesAsync(Guid tenantId, RecordedGraph graph, List<Guid> objectIds, TeamsRead read, CancellationToken cancellationToken)
    {
        var unrecorded = new ConcurrentDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? failure = null;
        await Parallel.ForEachAsync(objectIds.Chunk(BatchEndpointLimit), new ParallelOptions { MaxDegreeOfParallelism = settings.TeamConcurrency, CancellationToken = cancellationToken }, async (chunk, ct) =>
        {
            var answers = await calls.BatchGetAsync<TeamCollectionResponse>(tenantId, memberReader.Policy(JoinedTeamsOperation, settings.TeamsReadsPerSecond), graph.Client,
                [.. chunk.Select(id => (id.ToString(), graph.Client.Users[id.ToString()].JoinedTeams.ToGetRequestInformation()))],
                ct);
            foreach (var (_, (teams, status, error)) in answers)
            {
                if (status == (int)HttpStatusCode.NotFound)
                {
                    continue; // no longer in the directory, so in no team
                }

                if (error is not null)
                {
                    Interlocked.CompareExchange(ref failure, error, null);
                    continue;
                }

                foreach (var team in teams?.Value ?? [])
                {
                    if (team.Id is { } id && !read.Checked.ContainsKey(id))
                    {
                        unrecorded.TryAdd(id, team.DisplayName ?? id);
                    }
                }
            }
        });
        if (failure is not null)
        {
            return $"the teams of the {objectIds.Count} users who would be deactivated could not be read: {failure}";
        }

        return await ReadTeamsWithOurAppAsync(tenantId, graph, [.. unrecorded.Select(t => new TeamRef(t.Key, t.Value))], read, cancellationToken);
    }


    /// <returns>null when every page was read; otherwise why not.</returns>
    private Task<string?> ReadTeamAsync(Guid tenantId, RecordedGraph graph, TeamRef team, TeamsRead read, CancellationToken cancellationToken) =>
        memberReader.ReadAllAsync(tenantId, graph, team.Id, page =>
        {
            foreach (var member in page)
            {
                read.Members.TryAdd(member.ObjectId, 0);
                read.Saw(member, team.Name);
            }
        }, cancellationToken);
}

public sealed record TeamRef(string Id, string Name);

/// <summary>What a run has read so far: teams checked for our app, members of those that have it, their names.</summary>
public sealed class TeamsRead
{
    public ConcurrentDictionary<string, byte> Checked { get; } = new(StringComparer.OrdinalIgnoreCase);

    public ConcurrentDictionary<Guid, byte> Members { get; } = new();

    /// <summary>Who each member is and one team they were read in, to make the people not known yet known.</summary>
    public ConcurrentDictionary<Guid, FoundMember> Found { get; init; } = new();

    public ConcurrentBag<string> Names { get; } = [];

    /// <summary>Our app's catalog ids in the tenant: an installation under any of them counts.</summary>
    public CatalogEntry? Catalog { get; init; }

    /// <summary>
    /// A member read in a team: of the teams someone is in, the first by name is the one kept, so
    /// the same teams give the same name on every run whatever order the reads finished in (the
    /// first read to finish changed it, and so rewrote most people, on every run).
    /// </summary>
    public void Saw(TeamMember member, string teamName) =>
        Found.AddOrUpdate(member.ObjectId, new FoundMember(member, teamName),
            (_, kept) => string.CompareOrdinal(teamName, kept.TeamName) < 0 ? new FoundMember(member, teamName) : kept);
}

public sealed record MembersRead(TeamsRead Read, bool FromRows, string? Failure);
