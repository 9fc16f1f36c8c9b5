using Hangfire;
using IncidentIo.Domain.Changes;
using IncidentIo.Domain.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Reachability;

/// <summary>
/// The worker's side of per-user installs: one user (with its own retries, scheduled from the
/// next-attempt time kept in the database), everyone in an organisation, and the recurring
/// reconciliation that picks up whatever is due, so retries survive restarts and lost jobs.
/// </summary>
public sealed class AppInstallationJobs(
    IDbContextFactory<IncidentIoDbContext> dbFactory,
    UserAppInstaller installer,
    IBackgroundJobClient jobs,
    IOptions<AppInstallationOptions> options,
    TimeProvider clock,
    ChangeRecorder changes,
    ILogger<AppInstallationJobs> logger)
{
    public const string PermissionsGrantedTrigger = "permissions-granted";

    private static readonly InstallationState[] WorthInstalling =
        [InstallationState.NotInstalled, InstallationState.Pending, InstallationState.Failed];

    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("Install our app for user {0} ({1})")]
    public async Task InstallUserAsync(Guid userId, string trigger, CancellationToken cancellationToken)
    {
        await installer.RunAsync(userId, trigger, InstallMode.CheckThenInstall, cancellationToken: cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var next = await db.Users.Where(u => u.Id == userId && u.AppInstallation.State == InstallationState.Pending)
            .Select(u => u.AppInstallation.NextAttemptAt).SingleOrDefaultAsync(cancellationToken);
        if (next is { } due)
        {
            // Retries live in the database too: if this schedule is lost, the reconciliation finds the user due.
            jobs.Schedule<AppInstallationJobs>(j => j.InstallUserAsync(userId, trigger, CancellationToken.None), due);
        }
    }

    /// <summary>"Install for everyone": every user of the organisation not yet reachable becomes due now, then all are worked through.</summary>
    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("Install our app for everyone in organisation {0}")]
    public async Task InstallForEveryoneAsync(Guid organizationId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            var marked = await db.Users
                .Where(u => u.OrganizationId == organizationId && WorthInstalling.Contains(u.AppInstallation.State))
                .ExecuteUpdateAsync(s => s
                    .SetProperty(u => u.AppInstallation.State, InstallationState.Pending)
                    .SetProperty(u => u.AppInstallation.Attempts, 0)
                    .SetProperty(u => u.AppInstallation.NextAttemptAt, now), cancellationToken);
            await changes.RecordAsync(db, DataChange.Of(ChangeTopic.Installs, organizationId), cancellationToken);
            logger.LogInformation("Installing our app for {Count} users of organisation {OrganizationId}", marked, organizationId);
        }

        await WorkThroughDueAsync(organizationId, "everyone", InstallMode.InstallFirst, cancellationToken);
    }

    /// <summary>
    /// People who just became due in one organisation (found in one of our bot's teams, or known
    /// when the global permissions were granted): worked through with the installer's pace and retries.
    /// </summary>
    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("Install our app for the people due in organisation {0} ({1})")]
    public Task InstallDueAsync(Guid organizationId, string trigger, CancellationToken cancellationToken) =>
        WorkThroughDueAsync(organizationId, trigger, InstallMode.CheckThenInstall, cancellationToken);

    /// <summary>Recurring: due retries and re-checks in every organisation, and installed users whose verification is old.</summary>
    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    public async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        var stale = clock.GetUtcNow() - options.Value.ReverifyAfter;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            await db.Users.Where(u => u.AppInstallation.State == InstallationState.Installed && u.AppInstallation.VerifiedAt < stale)
                .ExecuteUpdateAsync(s => s.SetProperty(u => u.AppInstallation.NextAttemptAt, clock.GetUtcNow()), cancellationToken);
        }

        await WorkThroughDueAsync(null, "reconcile", InstallMode.CheckThenInstall, cancellationToken);
    }

    /// <summary>
    /// Works through users whose next attempt is due, a page at a time, several at once (the
    /// tenant's pace bounds the rate). Passes repeat while retries fall due within a couple of
    /// minutes (429s, 5xx), so a bulk run ends with everyone settled; later ones are the
    /// reconciliation's.
    /// </summary>
    private async Task WorkThroughDueAsync(Guid? organizationId, string trigger, InstallMode mode, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var passStarted = clock.GetUtcNow();
            var after = Guid.Empty;
            while (true)
            {
                List<Guid> due;
                await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
                {
                    due = await db.Users
                        .Where(u => (organizationId == null || u.OrganizationId == organizationId)
                                    && u.AppInstallation.NextAttemptAt <= passStarted && u.Id.CompareTo(after) > 0)
                        .OrderBy(u => u.Id).Select(u => u.Id).Take(500).ToListAsync(cancellationToken);
                }

                if (due.Count == 0)
                {
                    break;
                }

                after = due[^1];
                await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = options.Value.BulkConcurrency, CancellationToken = cancellationToken },
                    async (userId, ct) => await installer.RunAsync(userId, trigger, mode, onlyIfDue: true, ct));
            }

            DateTimeOffset? nextDue;
            await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
            {
                nextDue = await db.Users
                    .Where(u => (organizationId == null || u.OrganizationId == organizationId) && u.AppInstallation.State == InstallationState.Pending)
                    .MinAsync(u => u.AppInstallation.NextAttemptAt, cancellationToken);
            }

            var wait = nextDue - clock.GetUtcNow();
            if (nextDue is null || wait > TimeSpan.FromMinutes(2))
            {
                return;
            }

            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait.Value, clock, cancellationToken);
            }
        }
    }
}
