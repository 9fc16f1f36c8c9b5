using Hangfire;
using IncidentIo.Domain.Data;
using Microsoft.EntityFrameworkCore;

namespace IncidentIo.Domain.ActiveUsers;

/// <summary>The sweep as jobs: scheduled for every organisation, and "run now" / "dry run" for one.</summary>
public sealed class ActiveUserSweepJobs(IDbContextFactory<IncidentIoDbContext> dbFactory, ActiveUserSweep sweep, IBackgroundJobClient jobs, TimeProvider clock)
{
    /// <summary>A run older than this that never finished belonged to a process that stopped.</summary>
    private static readonly TimeSpan Stale = TimeSpan.FromHours(1);

    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    public async Task ScheduleAllAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var organizations = await db.Organizations.Where(o => o.GlobalPermissionsGrantedAt != null).Select(o => o.Id).ToListAsync(cancellationToken);
        foreach (var id in organizations)
        {
            jobs.Enqueue<ActiveUserSweepJobs>(j => j.RunAsync(id, "schedule", false, CancellationToken.None));
        }
    }

    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("Active-user sweep of organisation {0} ({1})")]
    public async Task RunAsync(Guid organizationId, string requestedBy, bool dryRun, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            await db.SweepRuns.Where(r => r.OrganizationId == organizationId && r.Outcome == SweepOutcome.Running && r.StartedAt < now - Stale)
                .ExecuteUpdateAsync(s => s.SetProperty(r => r.Outcome, SweepOutcome.Abandoned)
                    .SetProperty(r => r.Reason, "The run stopped before it finished (its process stopped): nothing changed."), cancellationToken);
            if (await db.SweepRuns.AnyAsync(r => r.OrganizationId == organizationId && r.Outcome == SweepOutcome.Running, cancellationToken))
            {
                return; // one run per organisation at a time
            }
        }

        await sweep.RunAsync(organizationId, requestedBy, dryRun, cancellationToken);
    }
}
