using System.Diagnostics;
using System.Diagnostics.Metrics;
using Hangfire.Server;
using Hangfire.States;
using Hangfire.Storage;
using IncidentIo.Domain.Hosting;
using Microsoft.Extensions.Logging;

namespace IncidentIo.Domain.Jobs;

/// <summary>
/// Gives every job a trace span, a logging scope carrying its job id, and duration metrics,
/// so that a job's log lines can be found from the portal or the Hangfire dashboard. A failed
/// attempt that will be tried again is a warning; a job that failed for good is an error.
/// </summary>
public sealed class JobTelemetryFilter(ILoggerFactory loggerFactory) : IServerFilter, IApplyStateFilter
{
    private const string ActivityKey = "incidentio.activity";
    private const string ScopeKey = "incidentio.scope";
    private const string StartedKey = "incidentio.started";

    private static readonly Histogram<double> Duration =
        Telemetry.Meter.CreateHistogram<double>("incidentio.jobs.duration", "ms", "Time a job took to run");

    private readonly ILogger logger = loggerFactory.CreateLogger("IncidentIo.Jobs");

    public void OnPerforming(PerformingContext context)
    {
        var job = context.BackgroundJob;
        var name = $"{job.Job.Type.Name}.{job.Job.Method.Name}";
        var activity = Telemetry.ActivitySource.StartActivity($"job {name}", ActivityKind.Consumer);
        activity?.SetTag("job.id", job.Id);
        context.Items[ActivityKey] = activity;
        context.Items[ScopeKey] = logger.BeginScope(new Dictionary<string, object> { ["JobId"] = job.Id, ["Job"] = name });
        context.Items[StartedKey] = Stopwatch.GetTimestamp();
    }

    public void OnPerformed(PerformedContext context)
    {
        var job = context.BackgroundJob;
        var name = $"{job.Job.Type.Name}.{job.Job.Method.Name}";
        var outcome = context.Exception is null ? "succeeded" : "failed";
        if (context.Items.TryGetValue(StartedKey, out var started) && started is long startedAt)
        {
            Duration.Record(Stopwatch.GetElapsedTime(startedAt).TotalMilliseconds,
                new KeyValuePair<string, object?>("job", name), new KeyValuePair<string, object?>("outcome", outcome));
        }

        if (context.Items.TryGetValue(ActivityKey, out var activity) && activity is Activity span)
        {
            span.SetStatus(context.Exception is null ? ActivityStatusCode.Ok : ActivityStatusCode.Error);
            span.Dispose();
        }

        if (context.Items.TryGetValue(ScopeKey, out var scope) && scope is IDisposable disposable)
        {
            disposable.Dispose();
        }
    }

    /// <summary>Runs once the retry filter has decided, so the state applied says whether the failure is final.</summary>
    public void OnStateApplied(ApplyStateContext context, IWriteOnlyTransaction transaction)
    {
        var job = context.BackgroundJob;
        var name = job.Job is { } invocation ? $"{invocation.Type.Name}.{invocation.Method.Name}" : "unknown job";
        if (context.NewState is FailedState failed)
        {
            logger.LogError(failed.Exception, "Job {JobId} ({Job}) failed and will not be tried again", job.Id, name);
        }
        else if (context.NewState is ScheduledState or EnqueuedState && context.OldStateName == ProcessingState.StateName)
        {
            // The retry filter sends a failed attempt back to the queue, later (scheduled) or at once (enqueued).
            logger.LogWarning("Job {JobId} ({Job}) failed and will be tried again: {Reason}", job.Id, name, context.NewState.Reason);
        }
    }

    public void OnStateUnapplied(ApplyStateContext context, IWriteOnlyTransaction transaction)
    {
    }
}
