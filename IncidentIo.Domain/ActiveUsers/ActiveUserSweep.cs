using System.Collections.Concurrent;
using System.Data.Common;
using System.Net;
using System.Text;
using System.Text.Json;
using Hangfire;
using IncidentIo.Domain.Audit;
using IncidentIo.Domain.Bot;
using IncidentIo.Domain.Changes;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Jobs;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.People;
using IncidentIo.Domain.Reachability;
using IncidentIo.Domain.Roles;
using IncidentIo.Domain.TeamsApp;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Identity.Client;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Serialization;
using User = IncidentIo.Domain.Users.User;

namespace IncidentIo.Domain.ActiveUsers;

/// <summary>
/// Keeps an organisation's users in step with the teams where our bot is installed: anyone in at
/// least one such team is active; anyone in none is deactivated (roles above Viewer removed and
/// kept for when they come back). Built never to lock out the wrong people: a team that cannot be
/// read completely makes the run inconclusive (nobody deactivated), a run that would deactivate
/// too many waits for review, and the changes are written in one transaction.
/// </summary>
public sealed class ActiveUserSweep(
    IDbContextFactory<IncidentIoDbContext> dbFactory,
    MainAppTokens tokens,
    TenantGraphPacer pacer,
    TeamMemberReader memberReader,
    IOptions<ActiveUserSweepOptions> options,
    TeamsAppCatalog catalog,
    IBackgroundJobClient jobs,
    IServiceProvider services,
    TimeProvider clock)
{
    public const string Actor = "job:active-user-sweep";
    public const string MembersOperation = TeamMemberReader.MembersOperation;
    public const string TeamsOperation = "get-teams";
    public const string InstalledAppsOperation = "get-team-installed-apps";
    public const string JoinedTeamsOperation = "get-joined-teams";
    public const string CatalogOperation = "get-appcatalogs";

    /// <summary>Microsoft's most requests in one <c>$batch</c>.</summary>
    private const int BatchEndpointLimit = 20;

    private readonly ActiveUserSweepOptions settings = options.Value;

    /// <summary>
    /// Reads every bot team's members and applies (or, for a dry run, only proposes) the changes.
    /// When another run of the organisation holds its lease, starts nothing and returns that run.
    /// </summary>
    public async Task<SweepRun> RunAsync(Guid organizationId, string requestedBy, bool dryRun = false, CancellationToken cancellationToken = default)
    {
        var run = new SweepRun
        {
            OrganizationId = organizationId,
            RequestedBy = requestedBy,
            IsDryRun = dryRun,
            RunBy = services.GetService<JobServerIdentity>()?.Name ?? $"{Environment.MachineName}:{Environment.ProcessId}",
        };
        var (tenantId, running) = await StartAsync(run, cancellationToken);
        if (running is not null)
        {
            return running;
        }

        // The lease is renewed beside the work; if another run took it over (this process stalled past it), the work stops.
        using var leaseLost = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var stopRenewing = new CancellationTokenSource();
        var renewing = RenewLeaseAsync(run.Id, leaseLost, stopRenewing.Token);
        try
        {
            var found = new ConcurrentDictionary<Guid, FoundMember>();
            var result = await RunHoldingLeaseAsync(run, tenantId, found, leaseLost.Token);
            if (result.Outcome is not (SweepOutcome.DryRun or SweepOutcome.Abandoned) && !found.IsEmpty)
            {
                await MakeFoundPeopleKnownAsync(run.OrganizationId, found.Values, cancellationToken);
            }

            return result;
        }
        catch (OperationCanceledException) when (leaseLost.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            run.Outcome = SweepOutcome.Abandoned;
            run.Reason = "The run lost its hold on the organisation (it could not renew it in time) and stopped: nothing changed.";
            return run;
        }
        finally
        {
            await stopRenewing.CancelAsync();
            await renewing;
        }
    }

    private async Task<SweepRun> RunHoldingLeaseAsync(SweepRun run, Guid tenantId, ConcurrentDictionary<Guid, FoundMember> found, CancellationToken cancellationToken)
    {
        var organizationId = run.OrganizationId;
        var dryRun = run.IsDryRun;
        using var graph = new RecordedGraph(services, ct => tokens.AcquireAsync(tenantId, cancellationToken: ct), settings.CallTimeout, clock);
        try
        {
            var membersRead = await ReadBotTeamMembersAsync(organizationId, tenantId, graph, found, cancellationToken);
            var read = membersRead.Read;
            var failure = membersRead.Failure;
            Changes? changes = null;
            if (failure is null && !read.Names.IsEmpty)
            {
                changes = await DecideAsync(organizationId, read.Members, cancellationToken);
                if (membersRead.FromRows && changes.DeactivateObjectIds.Count > 0)
                {
                    var teamsBefore = read.Names.Count;
                    failure = await CheckCandidatesAsync(tenantId, graph, changes.DeactivateObjectIds, read, cancellationToken);
                    if (failure is null && read.Names.Count > teamsBefore)
                    {
                        changes = await DecideAsync(organizationId, read.Members, cancellationToken);
                    }
                }
            }

            run.TeamsRead = read.Names.Count;
            run.MembersSeen = read.Members.Count;
            run.GraphRequests = graph.DrainCalls().Count;
            if (failure is not null)
            {
                run.Outcome = SweepOutcome.Inconclusive;
                run.Reason = ClippedText.Clip($"Nobody was deactivated: {failure}", 4000);
                return await FinishAsync(run, cancellationToken);
            }

            if (changes is null)
            {
                // Nothing to compare against (our app is in no team yet, or was removed from all):
                // deactivating everyone would lock the whole organisation out.
                run.Outcome = SweepOutcome.Inconclusive;
                run.Reason = "Nobody was deactivated: IncidentIo is installed in no team, so there is nobody to keep. Add it to a team (setup's install step) and run again.";
                return await FinishAsync(run, cancellationToken);
            }

            run.ActiveBefore = changes.ActiveBefore;
            if (dryRun)
            {
                run.Outcome = SweepOutcome.DryRun;
                run.ProposedChanges = changes.Describe();
                run.Deactivated = changes.Deactivate.Count;
                run.Reactivated = changes.Reactivate.Count;
                return await FinishAsync(run, cancellationToken);
            }

            if (changes.Deactivate.Count > settings.QuarantineCount && changes.Deactivate.Count > settings.QuarantineShare * changes.ActiveBefore)
            {
                run.Outcome = SweepOutcome.Quarantined;
                run.ProposedChanges = changes.Describe();
                run.Reason = $"This run would deactivate {changes.Deactivate.Count} of {changes.ActiveBefore} active users, more than " +
                             $"{settings.QuarantineShare:P0} and {settings.QuarantineCount}: nothing changes until an admin allows or rejects it.";
                return await FinishAsync(run, cancellationToken);
            }

            if (!await ApplyAsync(run, changes.Deactivate, changes.Reactivate, [.. read.Names.Order(StringComparer.Ordinal)], SweepOutcome.Applied, cancellationToken))
            {
                run.Outcome = SweepOutcome.Abandoned;
                run.Reason = "Another run took this organisation over before this one wrote its changes (this run had stopped renewing its hold): nothing changed.";
            }

            return run;
        }
        catch (Exception error) when (error is OperationCanceledException or MsalException)
        {
            run.Outcome = error is MsalException ? SweepOutcome.Inconclusive : SweepOutcome.Abandoned;
            run.Reason = error is MsalException msal
                ? $"Nobody was deactivated: we could not act in your organisation ({msal.ErrorCode}); the global permissions may have been removed."
                : "The run stopped before it finished (its process stopped): nothing changed.";
            run.GraphRequests += graph.DrainCalls().Count;
            await FinishAsync(run, CancellationToken.None);
            if (error is OperationCanceledException)
            {
                throw;
            }

            return run;
        }
    }

    /// <summary>
    /// The full read refreshes who is known: members of our bot's teams we did not know become
    /// Viewers (audited, with the per-user install), from what was read, with no Graph request more.
    /// Nobody is removed or changed here.
    /// </summary>
    private async Task MakeFoundPeopleKnownAsync(Guid organizationId, ICollection<FoundMember> found, CancellationToken cancellationToken)
    {
        var added = 0;
        bool installForThem;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            installForThem = await db.Organizations.Where(o => o.Id == organizationId).Select(o => o.GlobalPermissionsGrantedAt != null).SingleAsync(cancellationToken);
        }

        foreach (var chunk in found.Chunk(500))
        {
            for (var attempt = 1; ; attempt++)
            {
                await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
                var now = clock.GetUtcNow();
                var chunkAdded = await FoundPeople.AddAsync(db, organizationId, installForThem, chunk, Actor, now, cancellationToken);
                try
                {
                    await db.SaveChangesAsync(cancellationToken);
                    added += chunkAdded;
                    break;
                }
                catch (DbUpdateException) when (attempt < 3)
                {
                    // Someone here was made known by another path at the same moment: look again at who is known.
                }
            }
        }

        if (added > 0 && installForThem)
        {
            jobs.Enqueue<AppInstallationJobs>(j => j.InstallDueAsync(organizationId, FoundPeople.InstallTrigger, CancellationToken.None));
        }
    }

    /// <summary>The organisation's latest runs, newest first (proposed changes left out: a quarantined run says how many in its reason).</summary>
    public async Task<IReadOnlyList<SweepRun>> RecentRunsAsync(Guid organizationId, int count, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var runs = await db.SweepRuns.AsNoTracking().Where(r => r.OrganizationId == organizationId)
            .OrderByDescending(r => r.StartedAt).Take(count).ToListAsync(cancellationToken);
        runs.ForEach(r => r.ProposedChanges = null);
        return runs;
    }

    /// <summary>An admin's or staff's decision on a quarantined run: allow makes its changes (for users whose state has not moved since), reject makes none.</summary>
    /// <returns>null when there is no quarantined run with that id in the organisation.</returns>
    public async Task<SweepRun?> ReviewAsync(Guid organizationId, Guid runId, bool allow, string reviewer, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var run = await db.SweepRuns.SingleOrDefaultAsync(r => r.Id == runId && r.OrganizationId == organizationId && r.Outcome == SweepOutcome.Quarantined, cancellationToken);
        if (run is null)
        {
            return null;
        }

        run.ReviewedBy = reviewer;
        run.ReviewedAt = clock.GetUtcNow();
        if (!allow)
        {
            // Conditional: of an "allow" and a "reject" clicked at once, only one decides.
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            if (!await TakeRowAsync(db, run, SweepOutcome.Quarantined, cancellationToken))
            {
                return null;
            }

            run.Outcome = SweepOutcome.Rejected;
            db.AuditLog.Add(AuditLogEntry.Record(organizationId, run.ReviewedAt.Value, reviewer, "sweep.rejected", $"Run {run.Id:N}: {run.Reason}"));
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return run;
        }

        var (deactivate, reactivate) = ProposedChange.Parse(run.ProposedChanges);
        var allowed = AuditLogEntry.Record(organizationId, run.ReviewedAt.Value, reviewer, "sweep.allowed", $"Run {run.Id:N}.");
        db.Entry(run).State = EntityState.Detached;
        return await ApplyAsync(run, deactivate, reactivate, null, SweepOutcome.Allowed, cancellationToken, allowed) ? run : null;
    }

    /// <summary>
    /// Which teams count, and everyone in them. The known set is our <see cref="BotTeam"/> rows (from
    /// the bot's installation events); each is confirmed through Graph before its members count, so
    /// a team our app was removed from stops counting even if we missed that event. Without any rows
    /// (an organisation from before the events were recorded) every team in the tenant is checked.
    /// </summary>
    private async Task<MembersRead> ReadBotTeamMembersAsync(
        Guid organizationId, Guid tenantId, RecordedGraph graph, ConcurrentDictionary<Guid, FoundMember> found, CancellationToken cancellationToken)
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
        var (entry, catalogError) = await WithRetriesAsync(tenantId, CatalogOperation, settings.TeamsReadsPerSecond,
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
        var failure = await ReadTeamsWithOurAppAsync(tenantId, graph, candidates, read, cancellationToken);
        return new MembersRead(read, fromRows, failure);
    }

    /// <summary>Every team in the tenant, through Graph (a page of 100 per request by default).</summary>
    private async Task<(List<TeamRef> Teams, string? Failure)> ListTeamsAsync(Guid tenantId, RecordedGraph graph, CancellationToken cancellationToken)
    {
        var all = new List<TeamRef>();
        var page = await WithRetriesAsync(tenantId, TeamsOperation, settings.TeamsReadsPerSecond, () =>
            graph.Client.Teams.GetAsync(r => r.QueryParameters.Select = ["id", "displayName"], cancellationToken), cancellationToken);
        while (page.Result is { } teams)
        {
            all.AddRange((teams.Value ?? []).Where(t => t.Id is not null).Select(t => new TeamRef(t.Id!, t.DisplayName ?? t.Id!)));
            if (teams.OdataNextLink is not { } next)
            {
                break;
            }

            page = await WithRetriesAsync(tenantId, TeamsOperation, settings.TeamsReadsPerSecond, () => graph.Client.Teams.WithUrl(next).GetAsync(cancellationToken: cancellationToken), cancellationToken);
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
                var answers = await BatchGetAsync<TeamsAppInstallationCollectionResponse>(tenantId, graph, InstalledAppsOperation, settings.TeamsReadsPerSecond,
                    [.. chunk.SelectMany(t => catalogIds.Select((catalogId, i) => (i == 0 ? t.Id : $"{t.Id}#{i}",
                        graph.Client.Teams[t.Id].InstalledApps.ToGetRequestInformation(r => r.QueryParameters.Filter = CatalogEntry.InstalledFilter(catalogId)))))],
                    ct);
                foreach (var team in chunk)
                {
                    var perId = catalogIds.Select((_, i) => answers[i == 0 ? team.Id : $"{team.Id}#{i}"]).ToList();
                    if (perId.Any(a => a.Status == (int)HttpStatusCode.NotFound))
                    {
                        continue; // the team is gone: it stops counting
                    }

                    if (perId.FirstOrDefault(a => a.Error is not null).Error is { } error)
                    {
                        Interlocked.CompareExchange(ref failure, $"whether our bot is in \"{team.Name}\" could not be read: {error}", null);
                        await stop.CancelAsync();
                        return;
                    }

                    if (!perId.Any(a => a.Result?.Value is { Count: > 0 }))
                    {
                        continue; // our app was removed from it
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
    /// Up to 20 GETs in one <c>$batch</c>. Each step counts against its own limit (Microsoft
    /// evaluates them one by one), so the batch takes as many pacing slots as it has steps; steps
    /// answered 429 or 5xx go again in a smaller batch after the longest <c>Retry-After</c>.
    /// </summary>
    /// <returns>Per key: the parsed answer, or the step's status and why it failed.</returns>
    private async Task<Dictionary<string, (T? Result, int Status, string? Error)>> BatchGetAsync<T>(
        Guid tenantId, RecordedGraph graph, string operation, double perSecond, IReadOnlyList<(string Key, RequestInformation Request)> steps,
        CancellationToken cancellationToken)
        where T : IParsable, new()
    {
        var answers = new Dictionary<string, (T? Result, int Status, string? Error)>(StringComparer.Ordinal);
        var pending = steps.ToList();
        for (var attempt = 1; pending.Count > 0; attempt++)
        {
            await pacer.WaitForSlotAsync(tenantId, operation, perSecond, cancellationToken, slots: pending.Count);
            var retry = new List<(string Key, RequestInformation Request)>();
            TimeSpan? retryAfter = null;
            string? said = null;
            var throttled = false;
            try
            {
                var content = new BatchRequestContentCollection(graph.Client);
                var keys = new Dictionary<string, (string Key, RequestInformation Request)>(StringComparer.Ordinal);
                foreach (var step in pending)
                {
                    keys[await content.AddBatchRequestStepAsync(step.Request)] = step;
                }

                var response = await graph.Client.Batch.PostAsync(content, cancellationToken);
                foreach (var (id, code) in await response.GetResponsesStatusCodesAsync())
                {
                    var step = keys[id];
                    var status = (int)code;
                    if (status is >= 200 and < 300)
                    {
                        answers[step.Key] = (await response.GetResponseByIdAsync<T>(id), status, null);
                        continue;
                    }

                    using var failed = await response.GetResponseByIdAsync(id);
                    var text = $"Microsoft Graph answered {status} {await ErrorCodeAsync(failed)}";
                    if (status is 429 or >= 500)
                    {
                        throttled |= status == 429;
                        said = text;
                        retryAfter = Max(retryAfter, failed.Headers.RetryAfter?.Delta);
                        retry.Add(step);
                    }
                    else
                    {
                        var hint = status == (int)HttpStatusCode.Forbidden ? " (a permission may have been withdrawn)" : "";
                        answers[step.Key] = (default, status, text + hint);
                    }
                }
            }
            catch (Exception error) when (error is ServiceException or HttpRequestException || (error is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                // The batch itself failed (no answer, or not 200): every step goes again.
                said = error is TaskCanceledException ? $"Microsoft Graph did not answer within {settings.CallTimeout.TotalSeconds:F0} s" : $"Microsoft Graph's $batch failed: {error.Message}";
                retry = pending;
            }

            if (retry.Count == 0)
            {
                break;
            }

            if (throttled)
            {
                await pacer.ThrottledAsync(tenantId, operation, retryAfter ?? TimeSpan.FromSeconds(1), cancellationToken);
            }

            if (attempt >= settings.MaxAttempts)
            {
                retry.ForEach(step => answers[step.Key] = (default, 0, $"{said}, {attempt} times."));
                break;
            }

            pending = retry;
            await Task.Delay(RetryAfterHeader.Capped(retryAfter, pacer.MaxRetryAfter) ?? RetryBackoff.Exponential(attempt, settings.FirstBackoff, TimeSpan.FromSeconds(30)), clock, cancellationToken);
        }

        return answers;

        static TimeSpan? Max(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : a > b ? a : b;
    }

    private static async Task<string> ErrorCodeAsync(HttpResponseMessage response)
    {
        try
        {
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return body.RootElement.TryGetProperty("error", out var error) && error.TryGetProperty("code", out var code) ? code.GetString() ?? "" : "";
        }
        catch (JsonException)
        {
            return "";
        }
    }

    /// <summary>
    /// Before deactivating anyone on the strength of our own records: asks Graph which teams each
    /// of them is in (GET joinedTeams, 20 per <c>$batch</c>) and checks those we have no row for.
    /// A team with our app counts even without a row, and its members are read: a missed
    /// installation event must not lock people out. Trusting only the rows would be cheaper but
    /// wrong in the dangerous direction (removing access); the extra reads are per leaving user,
    /// a small share of the organisation on an ordinary day.
    /// </summary>
    /// <returns>null when every candidate was checked; otherwise why not (the run is then inconclusive).</returns>
    private async Task<string?> CheckCandidatesAsync(Guid tenantId, RecordedGraph graph, List<Guid> objectIds, TeamsRead read, CancellationToken cancellationToken)
    {
        var unrecorded = new ConcurrentDictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? failure = null;
        await Parallel.ForEachAsync(objectIds.Chunk(BatchEndpointLimit), new ParallelOptions { MaxDegreeOfParallelism = settings.TeamConcurrency, CancellationToken = cancellationToken }, async (chunk, ct) =>
        {
            var answers = await BatchGetAsync<TeamCollectionResponse>(tenantId, graph, JoinedTeamsOperation, settings.TeamsReadsPerSecond,
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
                read.Found.TryAdd(member.ObjectId, new FoundMember(member, team.Name));
            }
        }, cancellationToken);

    /// <summary>One Graph read, paced with every worker and retried on 429 (after <c>Retry-After</c>), 5xx and time-outs.</summary>
    private Task<(T? Result, string? Error)> WithRetriesAsync<T>(Guid tenantId, string operation, double perSecond, Func<Task<T?>> call, CancellationToken cancellationToken) =>
        memberReader.WithRetriesAsync(tenantId, operation, perSecond, call, cancellationToken);

    private async Task<Changes> DecideAsync(Guid organizationId, ConcurrentDictionary<Guid, byte> members, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // Ids only: the decision needs no more, however many users there are.
        var users = await db.Users.AsNoTracking().Where(u => u.OrganizationId == organizationId)
            .Select(u => new { u.Id, u.MicrosoftObjectId, u.IsActive }).ToListAsync(cancellationToken);
        var leaving = users.Where(u => u.IsActive && !members.ContainsKey(u.MicrosoftObjectId)).ToList();
        return new Changes(
            users.Count(u => u.IsActive),
            [.. leaving.Select(u => u.Id)],
            [.. users.Where(u => !u.IsActive && members.ContainsKey(u.MicrosoftObjectId)).Select(u => u.Id)],
            [.. leaving.Select(u => u.MicrosoftObjectId)]);
    }

    /// <summary>
    /// All of a run's changes in one transaction: a process killed half-way leaves the old state, never
    /// half of the new. False (nothing changed) when the run is no longer in the state it was read in:
    /// abandoned by a run that took over, or already reviewed.
    /// </summary>
    private async Task<bool> ApplyAsync(
        SweepRun run, IReadOnlyList<Guid> deactivate, IReadOnlyList<Guid> reactivate, IReadOnlyList<string>? teamNames, SweepOutcome outcome,
        CancellationToken cancellationToken, AuditLogEntry? review = null)
    {
        var now = clock.GetUtcNow();
        var teams = teamNames is null ? "the teams where IncidentIo is installed"
            : teamNames.Count == 0 ? "any team (IncidentIo is installed in none)"
            : $"any of the {teamNames.Count} teams where IncidentIo is installed ({ClippedText.Clip(string.Join(", ", teamNames), 300)})";
        var reason = $"Not a member of {teams}, in the sweep of {now:u} (run {run.Id:N}). " +
                     "To restore them, add them to a team where IncidentIo is installed, or add IncidentIo to a team they are in.";
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (!await TakeRowAsync(db, run, run.Outcome, cancellationToken))
        {
            return false;
        }

        if (review is not null)
        {
            db.AuditLog.Add(review);
        }

        if (await LastOwnerGuard.OwnerToKeepAsync(db, run.OrganizationId, deactivate, cancellationToken) is { } owner)
        {
            var note = LastOwnerGuard.Note(owner, $"this sweep found them in no team with IncidentIo (run {run.Id:N})");
            run.KeptOwnerNote = ClippedText.Clip(note, 2000);
            db.AuditLog.Add(AuditLogEntry.Record(run.OrganizationId, now, Actor, OrganizationRoles.KeptOwnerAction, run.KeptOwnerNote));
            deactivate = [.. deactivate.Where(id => id != owner.Id)];
        }

        var deactivated = await ChangeUsersAsync(deactivate, user => ActiveUserChanges.Deactivate(user, reason, now, Actor));
        var reactivated = await ChangeUsersAsync(reactivate, user =>
            ActiveUserChanges.Reactivate(user, $"is in a team where IncidentIo is installed again (run {run.Id:N})", now, Actor));

        run.Deactivated = deactivated;
        run.Reactivated = reactivated;
        run.Outcome = outcome;
        run.FinishedAt = clock.GetUtcNow();
        db.SweepRuns.Update(run);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;

        // Loads the users a page at a time (tracking only that page), changes each, audits each change.
        async Task<int> ChangeUsersAsync(IReadOnlyList<Guid> ids, Func<User, AuditLogEntry?> change)
        {
            var changed = 0;
            foreach (var chunk in ids.Chunk(500))
            {
                foreach (var user in await db.Users.Where(u => chunk.Contains(u.Id)).ToListAsync(cancellationToken))
                {
                    if (change(user) is { } audit)
                    {
                        changed++;
                        db.AuditLog.Add(audit);
                    }
                }

                await db.SaveChangesAsync(cancellationToken);
                db.ChangeTracker.Clear();
            }

            return changed;
        }
    }

    /// <summary>
    /// Takes the organisation for this run: a running run whose lease ran out is marked abandoned (its
    /// process stopped), then this run is inserted; the database's one-running-run index refuses it
    /// while another live run holds the organisation, and that run is returned instead.
    /// </summary>
    private async Task<(Guid TenantId, SweepRun? Running)> StartAsync(SweepRun run, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var now = clock.GetUtcNow();
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var tenantId = await db.Organizations.Where(o => o.Id == run.OrganizationId).Select(o => o.MicrosoftTenantId).SingleAsync(cancellationToken);
            await db.SweepRuns
                .Where(r => r.OrganizationId == run.OrganizationId && r.Outcome == SweepOutcome.Running && (r.LeaseUntil == null || r.LeaseUntil < now))
                .ExecuteUpdateAsync(set => set
                    .SetProperty(r => r.Outcome, SweepOutcome.Abandoned)
                    .SetProperty(r => r.FinishedAt, now)
                    .SetProperty(r => r.LeaseUntil, (DateTimeOffset?)null)
                    .SetProperty(r => r.Reason, "The run stopped before it finished: its worker stopped renewing its hold (the process stopped or was killed). Nothing changed; the next run took over."),
                    cancellationToken);
            await services.GetRequiredService<ChangeRecorder>().RecordAsync(db, DataChange.Of(ChangeTopic.SweepRuns, run.OrganizationId), cancellationToken);

            run.StartedAt = now;
            run.LeaseUntil = now + settings.RunLease;
            db.SweepRuns.Add(run);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                return (tenantId, null);
            }
            catch (DbUpdateException) when (attempt < 3)
            {
                db.ChangeTracker.Clear();
                var running = await db.SweepRuns.AsNoTracking()
                    .SingleOrDefaultAsync(r => r.OrganizationId == run.OrganizationId && r.Outcome == SweepOutcome.Running, cancellationToken);
                if (running is not null)
                {
                    return (tenantId, running);
                }

                // The other run finished between our insert and this read: try again.
            }
        }
    }

    private async Task RenewLeaseAsync(Guid runId, CancellationTokenSource leaseLost, CancellationToken stop)
    {
        var lastRenewed = clock.GetUtcNow();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(settings.RunLease / 3, clock, stop);
                var now = clock.GetUtcNow();
                await using var db = await dbFactory.CreateDbContextAsync(stop);
                var renewed = await db.SweepRuns.Where(r => r.Id == runId && r.Outcome == SweepOutcome.Running)
                    .ExecuteUpdateAsync(set => set.SetProperty(r => r.LeaseUntil, now + settings.RunLease), stop);
                if (renewed == 0)
                {
                    await leaseLost.CancelAsync(); // abandoned by a run that found our lease expired
                    return;
                }

                lastRenewed = now;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error) when (error is DbException or DbUpdateException or InvalidOperationException or TimeoutException)
            {
                // The database did not answer: keep trying until the lease is gone, then stop rather than race a new run.
                if (clock.GetUtcNow() - lastRenewed >= settings.RunLease)
                {
                    await leaseLost.CancelAsync();
                    return;
                }
            }
        }
    }

    /// <summary>Records how a run ended, unless it is no longer running (another run found its lease expired and marked it abandoned).</summary>
    private async Task<SweepRun> FinishAsync(SweepRun run, CancellationToken cancellationToken)
    {
        run.FinishedAt = clock.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (await TakeRowAsync(db, run, SweepOutcome.Running, cancellationToken))
        {
            db.SweepRuns.Update(run);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        return run;
    }

    /// <summary>
    /// First step of the transaction that ends or reviews a run: locks its row if it is still in
    /// <paramref name="expected"/> and drops its lease (so a run starting now waits, then sees it
    /// finished). False when it has moved on: abandoned by a run that took over, or already reviewed.
    /// </summary>
    private static async Task<bool> TakeRowAsync(IncidentIoDbContext db, SweepRun run, SweepOutcome expected, CancellationToken cancellationToken)
    {
        run.LeaseUntil = null;
        return await db.SweepRuns.Where(r => r.Id == run.Id && r.Outcome == expected)
            .ExecuteUpdateAsync(set => set.SetProperty(r => r.LeaseUntil, (DateTimeOffset?)null), cancellationToken) == 1;
    }

    private sealed record TeamRef(string Id, string Name);

    /// <summary>What a run has read so far: teams checked for our app, members of those that have it, their names.</summary>
    private sealed class TeamsRead
    {
        public ConcurrentDictionary<string, byte> Checked { get; } = new(StringComparer.OrdinalIgnoreCase);

        public ConcurrentDictionary<Guid, byte> Members { get; } = new();

        /// <summary>Who each member is and the first team they were read in, to make the people not known yet known.</summary>
        public ConcurrentDictionary<Guid, FoundMember> Found { get; init; } = new();

        public ConcurrentBag<string> Names { get; } = [];

        /// <summary>Our app's catalog ids in the tenant: an installation under any of them counts.</summary>
        public CatalogEntry? Catalog { get; init; }
    }

    private sealed record MembersRead(TeamsRead Read, bool FromRows, string? Failure);

    private sealed record Changes(int ActiveBefore, List<Guid> Deactivate, List<Guid> Reactivate, List<Guid> DeactivateObjectIds)
    {
        public string Describe()
        {
            var text = new StringBuilder();
            foreach (var id in Deactivate)
            {
                text.Append("deactivate ").Append(id.ToString("N")).Append('\n');
            }

            foreach (var id in Reactivate)
            {
                text.Append("reactivate ").Append(id.ToString("N")).Append('\n');
            }

            return text.ToString();
        }
    }
}

/// <summary>Reads a run's proposed changes back.</summary>
public static class ProposedChange
{
    public static (List<Guid> Deactivate, List<Guid> Reactivate) Parse(string? text)
    {
        var deactivate = new List<Guid>();
        var reactivate = new List<Guid>();
        foreach (var line in (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            if (parts.Length == 2 && Guid.TryParse(parts[1], out var id))
            {
                (parts[0] == "deactivate" ? deactivate : reactivate).Add(id);
            }
        }

        return (deactivate, reactivate);
    }
}
