using Hangfire;
using Hangfire.Storage;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Jobs;
using Microsoft.EntityFrameworkCore;

namespace IncidentIo.Portal.Tests.Security;

/// <summary>
/// Everything a refused attack could have changed, as text to compare before and after: the row count
/// of every table of the model, every person's role, kept role and activity, and Hangfire's jobs (the
/// recurring heartbeat aside) — the same idea as the bot endpoint's check, over the whole database.
/// </summary>
public static class StoredState
{
    public static async Task<string> ReadAsync(IncidentIoDbContext db, JobStorage? jobs = null)
    {
        var lines = new List<string>();
        foreach (var table in db.Model.GetEntityTypes().Where(t => !t.IsOwned() && t.GetTableName() is not null)
                     .Select(t => (t.GetTableName()!, t.GetSchema())).Distinct().OrderBy(t => t.Item1, StringComparer.Ordinal))
        {
            var name = table.Item2 is { } schema ? $"\"{schema}\".\"{table.Item1}\"" : $"\"{table.Item1}\"";
#pragma warning disable EF1002 // Table names come from our own model, not from input.
            var count = await db.Database.SqlQueryRaw<int>($"SELECT COUNT(*) AS \"Value\" FROM {name}").SingleAsync();
#pragma warning restore EF1002
            lines.Add($"{table.Item1}={count}");
        }

        lines.AddRange(await db.Users.AsNoTracking().OrderBy(u => u.Id)
            .Select(u => $"{u.Id}:{u.Role}:{u.RoleBeforeDeactivation}:{u.IsActive}:{u.MicrosoftAdminAtLastSignIn}").ToListAsync());
        lines.AddRange(await db.Organizations.AsNoTracking().OrderBy(o => o.Id)
            .Select(o => $"{o.Id}:{o.Name}:{o.SetupStage}:{o.PlanCode}:{o.GlobalPermissionsGrantedAt}").ToListAsync());
        if (jobs is not null)
        {
            lines.Add($"jobs={JobsOtherThanHeartbeats(jobs)}");
        }

        return string.Join('\n', lines);
    }

    /// <summary>
    /// Hangfire jobs in any state but the heartbeat's; with <paramref name="skipRecurringRuns"/> also
    /// without the recurring jobs' runs (the announcement sweep, retention, …), which start on their own schedule.
    /// </summary>
    public static int JobsOtherThanHeartbeats(JobStorage storage, bool skipRecurringRuns = false)
    {
        var monitoring = storage.GetMonitoringApi();
        var recurring = new HashSet<(Type, System.Reflection.MethodInfo)>();
        if (skipRecurringRuns)
        {
            using var connection = storage.GetConnection();
            recurring = connection.GetRecurringJobs().Where(r => r.Job is not null).Select(r => (r.Job.Type, r.Job.Method)).ToHashSet();
        }

        bool Counts(Hangfire.Common.Job? job) => job?.Type != typeof(HeartbeatJob) && (job is null || !recurring.Contains((job.Type, job.Method)));
        return monitoring.Queues().Sum(q => monitoring.EnqueuedJobs(q.Name, 0, 10_000).Count(j => Counts(j.Value.Job)))
            + monitoring.ScheduledJobs(0, 10_000).Count(j => Counts(j.Value.Job))
            + monitoring.ProcessingJobs(0, 10_000).Count(j => Counts(j.Value.Job))
            + monitoring.SucceededJobs(0, 10_000).Count(j => Counts(j.Value.Job))
            + monitoring.FailedJobs(0, 10_000).Count(j => Counts(j.Value.Job));
    }
}
