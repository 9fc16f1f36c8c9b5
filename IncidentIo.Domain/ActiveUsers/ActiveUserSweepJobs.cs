using Hangfire;
using IncidentIo.Domain.Data;
using Microsoft.EntityFrameworkCore;

namespace IncidentIo.Domain.ActiveUsers;

/// <summary>The sweep as jobs: scheduled for every organisation, and "run now" / "dry run" for one.</summary>
public sealed class ActiveUserSweepJobs(IDbContextFactory<IncidentIoDbContext> dbFactory, ActiveUserSweep sweep, IBackgroundJobClient jobs)
{
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

    /// <summary>One run per organisation at a time: while another holds the organisation's lease, this one starts nothing.</summary>
    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("Active-user sweep of organisation {0} ({1})")]
    public Task RunAsync(Guid organizationId, string requestedBy, bool dryRun, CancellationToken cancellationToken) =>
        sweep.RunAsync(organizationId, requestedBy, dryRun, cancellationToken);
}
