using Hangfire;
using IncidentIo.Domain.ActiveUsers;
using IncidentIo.Domain.Changes;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Leasing;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.Reachability;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Client;

namespace IncidentIo.Domain.People;

/// <summary>
/// When our app arrives in a team (the bot's install event, the automatic install, the one-click
/// add), the team's members become people of the organisation: a job reads the roster a page at a
/// time with the sweep's paced member reader, and each page's new people are written together with
/// the link to the next page, so a read that stops goes on from there (a lease says which worker
/// reads; <see cref="ResumeStalledAsync"/> hands a stopped read to another). Newly found people get
/// the per-user install of our app through the existing installer and its pace.
/// </summary>
public sealed class TeamRosters(
    IDbContextFactory<IncidentIoDbContext> dbFactory,
    MainAppTokens tokens,
    TeamMemberReader reader,
    IBackgroundJobClient jobs,
    IOptions<ActiveUserSweepOptions> sweepOptions,
    IServiceProvider services,
    TimeProvider clock,
    ILogger<TeamRosters> logger)
{
    public const string Actor = "job:team-roster";
    public const string BotInstalledTrigger = "bot-installed";

    /// <summary>A roster read this recently is not repeated when another path reports the same arrival (the bot's event after the automatic install).</summary>
    public static readonly TimeSpan FreshFor = TimeSpan.FromMinutes(10);

    /// <summary>A read asked for this long ago that no job has started is started again (its job was lost).</summary>
    public static readonly TimeSpan StartWithin = TimeSpan.FromMinutes(1);

    /// <summary>More people than this joining at once are found by reading the whole roster rather than one by one.</summary>
    private const int JoinedOneByOneLimit = 20;

    private readonly ActiveUserSweepOptions settings = sweepOptions.Value;

    private readonly RowLease<TeamRosterRead> lease = new(dbFactory, clock, sweepOptions.Value.RunLease, r => r.LeaseUntil, r => r.LeaseOwner);

    /// <summary>
    /// Asks for a read of the team's members. Nothing is read before the organisation granted the
    /// global permissions (that grant asks for the reads of the teams known by then).
    /// </summary>
    /// <returns>false when the organisation does not exist or has not granted the global permissions.</returns>
    [AutomaticRetry(Attempts = 3)]
    [JobDisplayName("Ask for the members of team {1} ({3})")]
    public async Task<bool> RequestAsync(Guid organizationId, Guid teamId, string teamName, string trigger, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        Guid readId;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            var granted = await db.Organizations.Where(o => o.Id == organizationId).Select(o => o.GlobalPermissionsGrantedAt).ToListAsync(cancellationToken);
            if (granted is not [{ } _])
            {
                logger.LogInformation("Members of team {Team} not read: organisation {Organization} is unknown or has not granted the global permissions", teamId, organizationId);
                return false;
            }

            var read = await db.TeamRosterReads.SingleOrDefaultAsync(r => r.OrganizationId == organizationId && r.TeamId == teamId, cancellationToken);
            if (read is null)
            {
                read = new TeamRosterRead
                {
                    OrganizationId = organizationId, TeamId = teamId, TeamName = ClippedText.Clip(teamName, TeamRosterRead.NameMaxLength),
                    Trigger = ClippedText.Clip(trigger, TeamRosterRead.TriggerMaxLength), RequestedAt = now,
                };
                db.TeamRosterReads.Add(read);
                try
                {
                    await db.SaveChangesAsync(cancellationToken);
                }
                catch (DbUpdateException)
                {
                    return true; // asked for by another path at the same moment: that request reads it
                }
            }
            else if (read.State == RosterReadState.Pending || (read.State == RosterReadState.Reading && read.LeaseUntil > now)
                     || (read.State == RosterReadState.Done && read.FinishedAt > now - FreshFor))
            {
                return true; // under way, or just read
            }
            else if (read.State != RosterReadState.Reading)
            {
                // A new read from the first page; a read whose worker stopped goes on from its page instead.
                read.State = RosterReadState.Pending;
                read.TeamName = ClippedText.Clip(teamName, TeamRosterRead.NameMaxLength);
                read.Trigger = ClippedText.Clip(trigger, TeamRosterRead.TriggerMaxLength);
                read.RequestedAt = now;
                read.StartedAt = null;
                read.FinishedAt = null;
                read.NextLink = null;
                read.PagesRead = read.MembersSeen = read.PeopleAdded = read.GraphRequests = 0;
                read.LastError = null;
                await db.SaveChangesAsync(cancellationToken);
            }

            readId = read.Id;
        }

        jobs.Enqueue<TeamRosters>(r => r.ReadAsync(readId, CancellationToken.None));
        return true;
    }

    /// <summary>
    /// The global permissions were just granted: everyone known so far gets the per-user install, and
    /// the teams our bot reported before are read now that we may.
    /// </summary>
    [AutomaticRetry(Attempts = 3)]
    [JobDisplayName("Global permissions granted to organisation {0}: install for everyone known, read our teams")]
    public async Task PermissionsGrantedAsync(Guid organizationId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        List<(Guid Id, string Name)> teams;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            var marked = await db.Users
                .Where(u => u.OrganizationId == organizationId && u.IsActive && u.AppInstallation.State == InstallationState.NotInstalled && u.AppInstallation.NextAttemptAt == null)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(u => u.AppInstallation.State, InstallationState.Pending)
                    .SetProperty(u => u.AppInstallation.Attempts, 0)
                    .SetProperty(u => u.AppInstallation.NextAttemptAt, now), cancellationToken);
            if (marked > 0)
            {
                await services.GetRequiredService<ChangeRecorder>().RecordAsync(db, DataChange.Of(ChangeTopic.Installs, organizationId), cancellationToken);
                jobs.Enqueue<AppInstallationJobs>(j => j.InstallDueAsync(organizationId, AppInstallationJobs.PermissionsGrantedTrigger, CancellationToken.None));
            }

            teams = [.. (await db.BotTeams.AsNoTracking().Where(t => t.OrganizationId == organizationId && t.RemovedAt == null && t.GraphTeamId != null)
                .Select(t => new { t.GraphTeamId, t.Name }).ToListAsync(cancellationToken)).Select(t => (t.GraphTeamId!.Value, t.Name))];
        }

        foreach (var (id, name) in teams)
        {
            await RequestAsync(organizationId, id, name, "permissions-granted", cancellationToken);
        }
    }

    /// <summary>Reads the roster from where it stands, a page at a time, unless another worker holds it or it is done.</summary>
    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("Read the members of a team (roster read {0})")]
    public async Task ReadAsync(Guid readId, CancellationToken cancellationToken)
    {
        await using var hold = await lease.TakeAsync(
            r => r.Id == readId && (r.State == RosterReadState.Pending || r.State == RosterReadState.Reading), cancellationToken,
            s => s.SetProperty(r => r.State, RosterReadState.Reading));
        if (hold is null)
        {
            return; // another worker reads it, or it is done
        }

        try
        {
            await ReadPagesAsync(readId, hold, hold.Token);
        }
        catch (OperationCanceledException) when (hold.IsLost)
        {
            logger.LogWarning("Roster read {Read} stopped: this worker lost its hold on it (it could not renew in time); another worker goes on from its page", readId);
        }
    }

    /// <summary>The pages from where the read stands, while this worker holds it (<paramref name="cancellationToken"/> fires when it no longer does).</summary>
    private async Task ReadPagesAsync(Guid readId, LeaseHold<TeamRosterRead> hold, CancellationToken cancellationToken)
    {
        var owner = hold.Owner!;
        TeamRosterRead read;
        Guid tenantId;
        bool installForThem;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            read = await db.TeamRosterReads.AsNoTracking().SingleAsync(r => r.Id == readId, cancellationToken);
            var organization = await db.Organizations.AsNoTracking().SingleAsync(o => o.Id == read.OrganizationId, cancellationToken);
            tenantId = organization.MicrosoftTenantId;
            installForThem = organization.GlobalPermissionsGrantedAt is not null;
            // The bot's own name for the team, when it has one, reads better in the audit than what the request knew.
            if (await db.BotTeams.Where(t => t.OrganizationId == read.OrganizationId && t.GraphTeamId == read.TeamId && !t.Name.StartsWith("19:"))
                    .Select(t => t.Name).FirstOrDefaultAsync(cancellationToken) is { } botTeamName)
            {
                read.TeamName = botTeamName;
            }
        }

        using var graph = new RecordedGraph(services, ct => tokens.AcquireAsync(tenantId, cancellationToken: ct), settings.CallTimeout, clock);
        // The next page is asked for while this one is saved, one team gap after this one was asked
        // for: the read takes the per-team limit's time, not that plus the saving.
        using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reading = ReadPageAsync(tenantId, graph, read.TeamId, read.NextLink, notBefore: null, stopReading.Token);
        try
        {
            while (true)
            {
                var (page, error, askedAt) = await reading;
                var calls = graph.DrainCalls().Count;
                if (page is null)
                {
                    logger.LogWarning("The members of team {Team} could not be read: {Error}", read.TeamId, error);
                    await FailAsync(hold, calls, error ?? "unknown");
                    return;
                }

                if (page.NextLink is { } next)
                {
                    reading = ReadPageAsync(tenantId, graph, read.TeamId, next, askedAt + reader.PerTeamGap, stopReading.Token);
                }

                var saved = await SavePageAsync(read, owner, page, calls, installForThem, cancellationToken);
                if (saved is null)
                {
                    logger.LogWarning("Roster read {Read} was taken over by another worker: this one stops", readId);
                    return;
                }

                if (page.NextLink is null)
                {
                    if (saved.Value > 0 && installForThem)
                    {
                        var organizationId = read.OrganizationId;
                        jobs.Enqueue<AppInstallationJobs>(j => j.InstallDueAsync(organizationId, FoundPeople.InstallTrigger, CancellationToken.None));
                    }

                    logger.LogInformation("Read the members of team \"{Team}\": {Added} people found", read.TeamName, saved.Value);
                    return;
                }
            }
        }
        finally
        {
            // A page asked for but not needed any more (the read failed or was taken over) is dropped.
            await stopReading.CancelAsync();
            await reading.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>One page of members, asked for no earlier than <paramref name="notBefore"/>; with the time it was asked for.</summary>
    private async Task<(TeamMembersPage? Page, string? Error, DateTimeOffset AskedAt)> ReadPageAsync(
        Guid tenantId, RecordedGraph graph, Guid teamId, string? link, DateTimeOffset? notBefore, CancellationToken cancellationToken)
    {
        var wait = notBefore is { } at ? at - clock.GetUtcNow() : TimeSpan.Zero;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, clock, cancellationToken);
        }

        var askedAt = clock.GetUtcNow();
        try
        {
            var (page, error) = await reader.ReadPageAsync(tenantId, graph, teamId.ToString(), link, cancellationToken);
            return (page, error, askedAt);
        }
        catch (MsalException msal)
        {
            return (null, $"we could not act in the organisation ({msal.ErrorCode}); the global permissions may have been removed", askedAt);
        }
    }

    /// <summary>
    /// Recurring: reads whose job was lost (asked for, never started) or whose worker stopped (it gave
    /// the read back as its process stopped, or was killed and its lease ran out) are started again.
    /// </summary>
    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    public async Task ResumeStalledAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var unstarted = now - StartWithin;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var stalled = await db.TeamRosterReads
            .Where(r => (r.State == RosterReadState.Pending && r.RequestedAt < unstarted) || (r.State == RosterReadState.Reading && (r.LeaseUntil == null || r.LeaseUntil < now)))
            .Select(r => r.Id).ToListAsync(cancellationToken);
        foreach (var id in stalled)
        {
            jobs.Enqueue<TeamRosters>(r => r.ReadAsync(id, CancellationToken.None));
        }
    }

    /// <summary>
    /// People joined one of our bot's teams (the bot's member event): those we do not know yet are
    /// looked up in the team's members (one filtered read each, which also confirms they are in it)
    /// and added. Many at once: the whole roster is read instead.
    /// </summary>
    [AutomaticRetry(Attempts = 3)]
    [JobDisplayName("People joined team {1} of organisation {0}")]
    public async Task AddJoinedAsync(Guid organizationId, string teamThreadId, Guid[] objectIds, CancellationToken cancellationToken)
    {
        Guid tenantId;
        Guid teamId;
        string teamName;
        List<Guid> unknown;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            var team = await db.BotTeams.AsNoTracking().SingleOrDefaultAsync(
                t => t.OrganizationId == organizationId && t.TeamThreadId == teamThreadId && t.RemovedAt == null, cancellationToken);
            var organization = await db.Organizations.AsNoTracking().SingleOrDefaultAsync(o => o.Id == organizationId, cancellationToken);
            if (team?.GraphTeamId is not { } graphId || organization?.GlobalPermissionsGrantedAt is null)
            {
                // Not one of our installed teams, its Graph id not learned yet, or nothing may be read yet: the next full read finds them.
                return;
            }

            var known = await db.Users.Where(u => u.OrganizationId == organizationId && objectIds.Contains(u.MicrosoftObjectId)).Select(u => u.MicrosoftObjectId).ToListAsync(cancellationToken);
            unknown = [.. objectIds.Distinct().Except(known)];
            (tenantId, teamId, teamName) = (organization.MicrosoftTenantId, graphId, team.Name);
        }

        if (unknown.Count == 0)
        {
            return;
        }

        if (unknown.Count > JoinedOneByOneLimit)
        {
            await RequestAsync(organizationId, teamId, teamName, "members-added", cancellationToken);
            return;
        }

        using var graph = new RecordedGraph(services, ct => tokens.AcquireAsync(tenantId, cancellationToken: ct), settings.CallTimeout, clock);
        var found = new List<FoundMember>();
        foreach (var objectId in unknown)
        {
            var (member, error) = await reader.FindMemberAsync(tenantId, graph, teamId.ToString(), objectId, cancellationToken);
            if (error is not null)
            {
                logger.LogWarning("Could not look up {ObjectId}, who joined team {Team}: {Error}; the next full read finds them", objectId, teamId, error);
            }
            else if (member is not null)
            {
                found.Add(new FoundMember(member, teamName));
            }
        }

        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            var added = await FoundPeople.AddAsync(db, organizationId, true, found, Actor, clock.GetUtcNow(), cancellationToken);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException)
            {
                return; // found by another path at the same moment (the unique object id): that one installs for them
            }

            if (added > 0)
            {
                jobs.Enqueue<AppInstallationJobs>(j => j.InstallDueAsync(organizationId, FoundPeople.InstallTrigger, CancellationToken.None));
            }
        }
    }

    /// <summary>The organisation's roster reads, newest first (for support and tests).</summary>
    public async Task<IReadOnlyList<TeamRosterRead>> ReadsOfAsync(Guid organizationId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.TeamRosterReads.AsNoTracking().Where(r => r.OrganizationId == organizationId).OrderByDescending(r => r.RequestedAt).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// One page's new people, the people it shows are back, and where the read stands, in one
    /// transaction, only while this worker still holds the read.
    /// </summary>
    /// <returns>The people this read has added so far; null when another worker holds the read now (nothing written).</returns>
    private async Task<int?> SavePageAsync(TeamRosterRead read, string owner, TeamMembersPage page, int calls, bool installForThem, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var now = clock.GetUtcNow();
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var row = await db.TeamRosterReads.SingleAsync(r => r.Id == read.Id, cancellationToken);
            if (row.State != RosterReadState.Reading || row.LeaseOwner != owner)
            {
                return null;
            }

            var added = await FoundPeople.AddAsync(db, read.OrganizationId, installForThem, [.. page.Members.Select(m => new FoundMember(m, read.TeamName))], Actor, now, cancellationToken);
            await TeamMembershipChanges.ReactivateAsync(db, read.OrganizationId, [.. page.Members.Select(m => m.ObjectId)],
                $"is in the team \"{read.TeamName}\", where IncidentIo was added", now, cancellationToken, teamName: read.TeamName);
            row.StartedAt ??= now;
            row.PagesRead++;
            row.MembersSeen += page.Members.Count;
            row.PeopleAdded += added;
            row.GraphRequests += calls;
            row.NextLink = page.NextLink is { } link ? ClippedText.Clip(link, TeamRosterRead.NextLinkMaxLength) : null;
            if (page.NextLink is null)
            {
                row.State = RosterReadState.Done;
                row.FinishedAt = now;
                row.LeaseOwner = null;
                row.LeaseUntil = null;
            }

            try
            {
                // The row's lease is a concurrency token: a worker that took the read over meanwhile makes this save fail.
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return row.PeopleAdded;
            }
            catch (DbUpdateConcurrencyException)
            {
                return null;
            }
            catch (DbUpdateException) when (attempt < 3)
            {
                // Someone on this page was made known by another path at the same moment: read who is known again.
            }
        }
    }

    private async Task FailAsync(LeaseHold<TeamRosterRead> hold, int calls, string error)
    {
        var now = clock.GetUtcNow();
        await hold.ReleaseAsync(s => s
            .SetProperty(r => r.State, RosterReadState.Failed)
            .SetProperty(r => r.FinishedAt, now)
            .SetProperty(r => r.GraphRequests, r => r.GraphRequests + calls)
            .SetProperty(r => r.LastError, ClippedText.Clip(error, TeamRosterRead.ErrorMaxLength)));
    }
}
