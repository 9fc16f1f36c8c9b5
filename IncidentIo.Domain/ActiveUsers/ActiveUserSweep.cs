using System.Collections.Concurrent;
using System.Net;
using System.Text;
using IncidentIo.Domain.Audit;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.TeamsApp;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Identity.Client;
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
    IOptions<ActiveUserSweepOptions> options,
    IOptions<TeamsAppOptions> teamsApp,
    IServiceProvider services,
    TimeProvider clock)
{
    public const string Actor = "job:active-user-sweep";
    public const string MembersOperation = "get-team-members";
    public const string TeamsOperation = "get-teams";

    private readonly ActiveUserSweepOptions settings = options.Value;

    /// <summary>Reads every bot team's members and applies (or, for a dry run, only proposes) the changes.</summary>
    public async Task<SweepRun> RunAsync(Guid organizationId, string requestedBy, bool dryRun = false, CancellationToken cancellationToken = default)
    {
        Guid tenantId;
        var run = new SweepRun { OrganizationId = organizationId, RequestedBy = requestedBy, IsDryRun = dryRun, StartedAt = clock.GetUtcNow() };
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            tenantId = await db.Organizations.Where(o => o.Id == organizationId).Select(o => o.MicrosoftTenantId).SingleAsync(cancellationToken);
            db.SweepRuns.Add(run);
            await db.SaveChangesAsync(cancellationToken);
        }

        using var graph = new RecordedGraph(services, ct => tokens.AcquireAsync(tenantId, cancellationToken: ct), settings.CallTimeout, clock);
        try
        {
            var read = await ReadBotTeamMembersAsync(tenantId, graph, cancellationToken);
            run.TeamsRead = read.TeamsRead;
            run.MembersSeen = read.Members.Count;
            run.GraphRequests = graph.DrainCalls().Count;
            if (read.Failure is { } failure)
            {
                run.Outcome = SweepOutcome.Inconclusive;
                run.Reason = ClippedText.Clip($"Nobody was deactivated: {failure}", 4000);
                return await FinishAsync(run, cancellationToken);
            }

            if (read.TeamsRead == 0)
            {
                // Nothing to compare against (our app is in no team yet, or was removed from all):
                // deactivating everyone would lock the whole organisation out.
                run.Outcome = SweepOutcome.Inconclusive;
                run.Reason = "Nobody was deactivated: IncidentIo is installed in no team, so there is nobody to keep. Add it to a team (setup's install step) and run again.";
                return await FinishAsync(run, cancellationToken);
            }

            var changes = await DecideAsync(organizationId, read.Members, cancellationToken);
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

            await ApplyAsync(run, changes.Deactivate, changes.Reactivate, read.TeamNames, SweepOutcome.Applied, cancellationToken);
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
            run.Outcome = SweepOutcome.Rejected;
            db.AuditLog.Add(AuditLogEntry.Record(organizationId, run.ReviewedAt.Value, reviewer, "sweep.rejected", $"Run {run.Id:N}: {run.Reason}"));
            await db.SaveChangesAsync(cancellationToken);
            return run;
        }

        var (deactivate, reactivate) = ProposedChange.Parse(run.ProposedChanges);
        db.AuditLog.Add(AuditLogEntry.Record(organizationId, run.ReviewedAt.Value, reviewer, "sweep.allowed", $"Run {run.Id:N}."));
        await db.SaveChangesAsync(cancellationToken);
        await ApplyAsync(run, deactivate, reactivate, null, SweepOutcome.Allowed, cancellationToken);
        return run;
    }

    private async Task<MembersRead> ReadBotTeamMembersAsync(Guid tenantId, RecordedGraph graph, CancellationToken cancellationToken)
    {
        var members = new ConcurrentDictionary<Guid, byte>();
        var names = new ConcurrentBag<string>();
        string? failure = null;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var teams = await BotTeamsAsync(tenantId, graph, cancellationToken);
        if (teams.Failure is not null)
        {
            return new MembersRead(0, members.Keys.ToHashSet(), [], teams.Failure);
        }

        try
        {
            await Parallel.ForEachAsync(teams.Teams, new ParallelOptions { MaxDegreeOfParallelism = settings.TeamConcurrency, CancellationToken = stop.Token }, async (team, ct) =>
            {
                var error = await ReadTeamAsync(tenantId, graph, team.Id!, members, ct);
                if (error is not null)
                {
                    Interlocked.CompareExchange(ref failure, $"the members of \"{team.DisplayName}\" could not be read completely: {error}", null);
                    await stop.CancelAsync();
                    return;
                }

                names.Add(team.DisplayName ?? team.Id!);
            });
        }
        catch (OperationCanceledException) when (failure is not null && !cancellationToken.IsCancellationRequested)
        {
            // One team failed: the others were stopped, the run is inconclusive anyway.
        }

        return new MembersRead(names.Count, members.Keys.ToHashSet(), [.. names.Order(StringComparer.Ordinal)], failure);
    }

    /// <summary>The tenant's teams that have our app (so our bot), through Graph.</summary>
    private async Task<(List<Team> Teams, string? Failure)> BotTeamsAsync(Guid tenantId, RecordedGraph graph, CancellationToken cancellationToken)
    {
        var all = new List<Team>();
        var page = await WithRetriesAsync(tenantId, TeamsOperation, settings.MembersPerSecond / 2, () =>
            graph.Client.Teams.GetAsync(r => r.QueryParameters.Select = ["id", "displayName"], cancellationToken), cancellationToken);
        while (page.Result is { } teams)
        {
            all.AddRange(teams.Value ?? []);
            if (teams.OdataNextLink is not { } next)
            {
                break;
            }

            page = await WithRetriesAsync(tenantId, TeamsOperation, settings.MembersPerSecond / 2, () => graph.Client.Teams.WithUrl(next).GetAsync(cancellationToken: cancellationToken), cancellationToken);
        }

        if (page.Error is { } listError)
        {
            return ([], $"the list of teams could not be read: {listError}");
        }

        var bot = new ConcurrentBag<Team>();
        string? failure = null;
        await Parallel.ForEachAsync(all, new ParallelOptions { MaxDegreeOfParallelism = settings.TeamConcurrency, CancellationToken = cancellationToken }, async (team, ct) =>
        {
            var apps = await WithRetriesAsync(tenantId, TeamsOperation, settings.MembersPerSecond / 2, () => graph.Client.Teams[team.Id].InstalledApps.GetAsync(
                r => r.QueryParameters.Filter = $"teamsApp/externalId eq '{teamsApp.Value.AppId}'", ct), ct);
            if (apps.Error is { } error)
            {
                Interlocked.CompareExchange(ref failure, $"whether our bot is in \"{team.DisplayName}\" could not be read: {error}", null);
            }
            else if (apps.Result?.Value is { Count: > 0 })
            {
                bot.Add(team);
            }
        });
        return ([.. bot], failure);
    }

    /// <returns>null when every page was read; otherwise why not.</returns>
    private async Task<string?> ReadTeamAsync(Guid tenantId, RecordedGraph graph, string teamId, ConcurrentDictionary<Guid, byte> members, CancellationToken cancellationToken)
    {
        var perTeam = TimeSpan.FromSeconds(1 / settings.PerTeamPerSecond);
        var page = await WithRetriesAsync(tenantId, MembersOperation, settings.MembersPerSecond, () =>
            graph.Client.Teams[teamId].Members.GetAsync(r => r.QueryParameters.Top = 999, cancellationToken), cancellationToken);
        while (true)
        {
            if (page.Error is { } error)
            {
                return error;
            }

            foreach (var member in page.Result?.Value ?? [])
            {
                if (member is AadUserConversationMember { UserId: { } userId } && Guid.TryParse(userId, out var objectId))
                {
                    members.TryAdd(objectId, 0);
                }
            }

            if (page.Result?.OdataNextLink is not { } next)
            {
                return null;
            }

            // Microsoft allows 4 requests per second per app on one team.
            await Task.Delay(perTeam, clock, cancellationToken);
            page = await WithRetriesAsync(tenantId, MembersOperation, settings.MembersPerSecond, () =>
                graph.Client.Teams[teamId].Members.WithUrl(next).GetAsync(cancellationToken: cancellationToken), cancellationToken);
        }
    }

    /// <summary>One Graph read, paced with every worker and retried on 429 (after <c>Retry-After</c>), 5xx and time-outs.</summary>
    private async Task<(T? Result, string? Error)> WithRetriesAsync<T>(Guid tenantId, string operation, double perSecond, Func<Task<T?>> call, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            await pacer.WaitForSlotAsync(tenantId, operation, perSecond, cancellationToken);
            TimeSpan? retryAfter = null;
            string said;
            try
            {
                return (await call(), null);
            }
            catch (ODataError error) when (error.ResponseStatusCode is 429 or >= 500)
            {
                said = $"Microsoft Graph answered {error.ResponseStatusCode} {error.Error?.Code}";
                retryAfter = RetryAfterHeader.From(error.ResponseHeaders);
                if (error.ResponseStatusCode == 429)
                {
                    await pacer.ThrottledAsync(tenantId, operation, retryAfter ?? TimeSpan.FromSeconds(1), cancellationToken);
                }
            }
            catch (ODataError error)
            {
                var hint = error.ResponseStatusCode == (int)HttpStatusCode.Forbidden ? " (our bot may have been removed from the team, or a permission withdrawn)" : "";
                return (default, $"Microsoft Graph answered {error.ResponseStatusCode} {error.Error?.Code}: {error.Error?.Message}{hint}");
            }
            catch (HttpRequestException error)
            {
                said = $"Could not reach Microsoft Graph: {error.Message}";
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                said = $"Microsoft Graph did not answer within {settings.CallTimeout.TotalSeconds:F0} s";
            }

            if (attempt >= settings.MaxAttempts)
            {
                return (default, $"{said}, {attempt} times.");
            }

            await Task.Delay(retryAfter ?? RetryBackoff.Exponential(attempt, settings.FirstBackoff, TimeSpan.FromSeconds(30)), clock, cancellationToken);
        }
    }

    private async Task<Changes> DecideAsync(Guid organizationId, HashSet<Guid> members, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // Ids only: the decision needs no more, however many users there are.
        var users = await db.Users.AsNoTracking().Where(u => u.OrganizationId == organizationId)
            .Select(u => new { u.Id, u.MicrosoftObjectId, u.IsActive }).ToListAsync(cancellationToken);
        return new Changes(
            users.Count(u => u.IsActive),
            [.. users.Where(u => u.IsActive && !members.Contains(u.MicrosoftObjectId)).Select(u => u.Id)],
            [.. users.Where(u => !u.IsActive && members.Contains(u.MicrosoftObjectId)).Select(u => u.Id)]);
    }

    /// <summary>All of a run's changes in one transaction: a process killed half-way leaves the old state, never half of the new.</summary>
    private async Task ApplyAsync(SweepRun run, IReadOnlyList<Guid> deactivate, IReadOnlyList<Guid> reactivate, IReadOnlyList<string>? teamNames, SweepOutcome outcome, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var teams = teamNames is null ? "the teams where IncidentIo is installed"
            : teamNames.Count == 0 ? "any team (IncidentIo is installed in none)"
            : $"any of the {teamNames.Count} teams where IncidentIo is installed ({ClippedText.Clip(string.Join(", ", teamNames), 300)})";
        var reason = $"Not a member of {teams}, in the sweep of {now:u} (run {run.Id:N}). " +
                     "To restore them, add them to a team where IncidentIo is installed, or add IncidentIo to a team they are in.";
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var deactivated = await ChangeUsersAsync(deactivate, user =>
        {
            var role = user.Role;
            return user.Deactivate(ClippedText.Clip(reason, 2000), now)
                ? ("user.deactivated", $"{user.UserPrincipalName ?? user.DisplayName} (was {role}): {reason}")
                : null;
        });
        var reactivated = await ChangeUsersAsync(reactivate, user => user.Reactivate()
            ? ("user.reactivated", $"{user.UserPrincipalName ?? user.DisplayName} is in a team where IncidentIo is installed again; role {user.Role} restored (run {run.Id:N}).")
            : null);

        run.Deactivated = deactivated;
        run.Reactivated = reactivated;
        run.Outcome = outcome;
        run.FinishedAt = clock.GetUtcNow();
        db.SweepRuns.Update(run);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        // Loads the users a page at a time (tracking only that page), changes each, audits each change.
        async Task<int> ChangeUsersAsync(IReadOnlyList<Guid> ids, Func<User, (string Action, string Details)?> change)
        {
            var changed = 0;
            foreach (var chunk in ids.Chunk(500))
            {
                foreach (var user in await db.Users.Where(u => chunk.Contains(u.Id)).ToListAsync(cancellationToken))
                {
                    if (change(user) is { } audit)
                    {
                        changed++;
                        db.AuditLog.Add(AuditLogEntry.Record(run.OrganizationId, now, Actor, audit.Action, audit.Details));
                    }
                }

                await db.SaveChangesAsync(cancellationToken);
                db.ChangeTracker.Clear();
            }

            return changed;
        }
    }

    private async Task<SweepRun> FinishAsync(SweepRun run, CancellationToken cancellationToken)
    {
        run.FinishedAt = clock.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        db.SweepRuns.Update(run);
        await db.SaveChangesAsync(cancellationToken);
        return run;
    }

    private sealed record MembersRead(int TeamsRead, HashSet<Guid> Members, IReadOnlyList<string> TeamNames, string? Failure);

    private sealed record Changes(int ActiveBefore, List<Guid> Deactivate, List<Guid> Reactivate)
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
