using System.Collections.Concurrent;
using Hangfire;
using IncidentIo.Domain.Audit;
using IncidentIo.Domain.Changes;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Jobs;
using IncidentIo.Domain.Leasing;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.People;
using IncidentIo.Domain.Reachability;
using IncidentIo.Domain.Roles;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
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
    BotTeamReader reader,
    IOptions<ActiveUserSweepOptions> options,
    IBackgroundJobClient jobs,
    IServiceProvider services,
    TimeProvider clock)
{
    public const string Actor = "job:active-user-sweep";
    public const string MembersOperation = TeamMemberReader.MembersOperation;
    public const string TeamsOperation = BotTeamReader.TeamsOperation;
    public const string InstalledAppsOperation = BotTeamReader.InstalledAppsOperation;
    public const string JoinedTeamsOperation = BotTeamReader.JoinedTeamsOperation;
    public const string CatalogOperation = BotTeamReader.CatalogOperation;

    private readonly ActiveUserSweepOptions settings = options.Value;

    /// <summary>A run holds its organisation by its own row: inserted running (one running run per organisation), renewed while it works.</summary>
    private readonly RowLease<SweepRun> runLease = new(dbFactory, clock, options.Value.RunLease, r => r.LeaseUntil, owner: null);

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
        await using var hold = runLease.Hold(r => r.Id == run.Id && r.Outcome == SweepOutcome.Running, run.LeaseUntil!.Value, cancellationToken);
        try
        {
            var found = new ConcurrentDictionary<Guid, FoundMember>();
            var result = await RunHoldingLeaseAsync(run, tenantId, found, hold.Token);
            if (result.Outcome is not (SweepOutcome.DryRun or SweepOutcome.Abandoned) && !found.IsEmpty)
            {
                await MakeFoundPeopleKnownAsync(run.OrganizationId, found.Values, cancellationToken);
            }

            return result;
        }
        catch (OperationCanceledException) when (hold.IsLost && !cancellationToken.IsCancellationRequested)
        {
            run.Outcome = SweepOutcome.Abandoned;
            run.Reason = "The run lost its hold on the organisation (it could not renew it in time) and stopped: nothing changed.";
            return run;
        }
    }

    private async Task<SweepRun> RunHoldingLeaseAsync(SweepRun run, Guid tenantId, ConcurrentDictionary<Guid, FoundMember> found, CancellationToken cancellationToken)
    {
        var organizationId = run.OrganizationId;
        var dryRun = run.IsDryRun;
        using var graph = new RecordedGraph(services, ct => tokens.AcquireAsync(tenantId, cancellationToken: ct), settings.CallTimeout, clock);
        try
        {
            // The people who would leave are asked about (their joined teams) as soon as the members of every
            // recorded team are read, while those teams are still being confirmed; only people the final read
            // adds to them are asked about afterwards.
            List<Guid> askedEarly = [];
            var membersRead = await reader.ReadAsync(organizationId, tenantId, graph, found, async (provisional, soFar, ct) =>
            {
                askedEarly = (await DecideAsync(organizationId, provisional, ct)).DeactivateObjectIds;
                return askedEarly.Count == 0 ? null : await reader.CheckCandidatesAsync(tenantId, graph, askedEarly, soFar, ct);
            }, cancellationToken);
            var read = membersRead.Read;
            var failure = membersRead.Failure;
            SweepChanges? changes = null;
            if (failure is null && !read.Names.IsEmpty)
            {
                changes = await DecideAsync(organizationId, read.Members, cancellationToken);
                var unasked = membersRead.FromRows ? changes.DeactivateObjectIds.Except(askedEarly).ToList() : [];
                if (unasked.Count > 0)
                {
                    var teamsBefore = read.Names.Count;
                    failure = await reader.CheckCandidatesAsync(tenantId, graph, unasked, read, cancellationToken);
                    if (failure is null && read.Names.Count > teamsBefore)
                    {
                        changes = await DecideAsync(organizationId, read.Members, cancellationToken);
                    }
                }
            }

            run.TeamsRead = read.Names.Count;
            run.MembersSeen = read.Members.Count;
            run.GraphRequests = graph.DrainCalls().Count;
            if (failure is null && changes is not null)
            {
                run.ActiveBefore = changes.ActiveBefore;
            }

            var verdict = SweepDecision.Judge(failure, changes, dryRun, settings.QuarantineShare, settings.QuarantineCount);
            if (verdict.Outcome != SweepOutcome.Applied)
            {
                // Ended here (inconclusive, a dry run, or waiting for review): the run keeps what it proposes, nothing is written.
                run.Outcome = verdict.Outcome;
                run.Reason = verdict.Reason;
                if (verdict.Outcome is SweepOutcome.DryRun or SweepOutcome.Quarantined)
                {
                    run.ProposedChanges = changes!.Describe();
                }

                if (verdict.Outcome == SweepOutcome.DryRun)
                {
                    run.Deactivated = changes!.Deactivate.Count;
                    run.Reactivated = changes.Reactivate.Count;
                }

                return await FinishAsync(run, cancellationToken);
            }

            if (!await ApplyAsync(run, changes!.Deactivate, changes.Reactivate, [.. read.Names.Order(StringComparer.Ordinal)], SweepOutcome.Applied, cancellationToken))
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
        var known = new Dictionary<Guid, string?>();
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            installForThem = await db.Organizations.Where(o => o.Id == organizationId).Select(o => o.GlobalPermissionsGrantedAt != null).SingleAsync(cancellationToken);
            // Who is known, read once: asking per 500 found members took 200 round trips at 100,000 people.
            await foreach (var person in db.Users.AsNoTracking().Where(u => u.OrganizationId == organizationId)
                .Select(u => new { u.MicrosoftObjectId, u.BotTeamName }).AsAsyncEnumerable().WithCancellation(cancellationToken))
            {
                known.TryAdd(person.MicrosoftObjectId, person.BotTeamName);
            }

            var seenElsewhere = found
                .Select(f => (f.Member.ObjectId, TeamName: ClippedText.Clip(f.TeamName, User.BotTeamNameMaxLength)))
                .Where(f => known.TryGetValue(f.ObjectId, out var recorded) && recorded != f.TeamName)
                .ToList();
            if (await FoundPeople.MarkSeenAsync(db, organizationId, seenElsewhere, cancellationToken) > 0)
            {
                await services.GetRequiredService<ChangeRecorder>().RecordAsync(db, DataChange.Of(ChangeTopic.People, organizationId), cancellationToken);
            }
        }

        foreach (var chunk in found.Where(f => !known.ContainsKey(f.Member.ObjectId)).Chunk(500))
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

    private async Task<SweepChanges> DecideAsync(Guid organizationId, ConcurrentDictionary<Guid, byte> members, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        // Ids only: the decision needs no more, however many users there are.
        var people = await db.Users.AsNoTracking().Where(u => u.OrganizationId == organizationId)
            .Select(u => new SweepPerson(u.Id, u.MicrosoftObjectId, u.IsActive)).ToListAsync(cancellationToken);
        return SweepDecision.Changes(people, members.ContainsKey);
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

        var owners = await Ownership.ActiveOwners(db, run.OrganizationId).OrderBy(u => u.CreatedAt).ThenBy(u => u.Id).ToListAsync(cancellationToken);
        if (SweepDecision.OwnerToKeep(owners, o => o.Id, deactivate) is { } owner)
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
                .Where(r => r.OrganizationId == run.OrganizationId && r.Outcome == SweepOutcome.Running)
                .Where(runLease.FreeAt(now))
                .ExecuteUpdateAsync(set => set
                    .SetProperty(r => r.Outcome, SweepOutcome.Abandoned)
                    .SetProperty(r => r.FinishedAt, now)
                    .SetProperty(r => r.LeaseUntil, (DateTimeOffset?)null)
                    .SetProperty(r => r.Reason, "The run stopped before it finished: its worker stopped renewing its hold (the process stopped or was killed). Nothing changed; the next run took over."),
                    cancellationToken);
            await services.GetRequiredService<ChangeRecorder>().RecordAsync(db, DataChange.Of(ChangeTopic.SweepRuns, run.OrganizationId), cancellationToken);

            run.StartedAt = now;
            run.LeaseUntil = now + runLease.Duration;
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
}
