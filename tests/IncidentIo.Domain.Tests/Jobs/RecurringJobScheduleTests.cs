using System.Collections.Concurrent;
using Hangfire;
using Hangfire.Common;
using Hangfire.Storage;
using IncidentIo.Domain.ActiveUsers;
using IncidentIo.Domain.Announcements;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.Jobs;
using IncidentIo.Domain.Reachability;
using IncidentIo.Domain.Setup.AutomaticInstall;
using IncidentIo.Domain.Tests.Changes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace IncidentIo.Domain.Tests.Jobs;

/// <summary>
/// A worker starting while a killed one still holds Hangfire's lock on a recurring job must start
/// anyway (the stored schedule stays in force) and register the job once the lock is free.
/// </summary>
public sealed class RecurringJobScheduleTests
{
    [Fact]
    public async Task A_job_whose_lock_is_still_held_does_not_stop_the_start_and_is_registered_once_it_is_free()
    {
        var jobs = new LockedJobs("automatic-install-resume", timesLocked: 2);
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-03T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var log = new RecordingLogger<JobsRegistration.RecurringJobSchedule>();
        using var schedule = Schedule(jobs, clock, log);

        await schedule.StartAsync(CancellationToken.None);

        Assert.Equal(["active-user-sweep", "announcements-sweep", "app-installation-reconcile", "heartbeat", "team-roster-resume"], jobs.Registered.Keys.Order());
        Assert.Contains(log.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("automatic-install-resume", StringComparison.Ordinal));

        // Still locked at the first retry, free at the second.
        await AdvanceUntil(clock, () => jobs.Attempts("automatic-install-resume") == 2);
        Assert.False(jobs.Registered.ContainsKey("automatic-install-resume"));
        await AdvanceUntil(clock, () => jobs.Registered.ContainsKey("automatic-install-resume"));
        Assert.Equal(3, jobs.Attempts("automatic-install-resume"));
        Assert.All(jobs.Registered.Keys.Where(k => k != "automatic-install-resume"), k => Assert.Equal(1, jobs.Attempts(k)));

        await schedule.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Stopping_while_a_job_still_waits_for_its_lock_ends_the_retries()
    {
        var jobs = new LockedJobs("heartbeat", timesLocked: int.MaxValue);
        var clock = new FakeTimeProvider();
        using var schedule = Schedule(jobs, clock, new RecordingLogger<JobsRegistration.RecurringJobSchedule>());

        await schedule.StartAsync(CancellationToken.None);
        await schedule.StopAsync(CancellationToken.None);
        clock.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(1, jobs.Attempts("heartbeat"));
        Assert.Equal(5, jobs.Registered.Count);
    }

    private static JobsRegistration.RecurringJobSchedule Schedule(IRecurringJobManager jobs, TimeProvider clock, ILogger<JobsRegistration.RecurringJobSchedule> log) =>
        new(jobs, Options.Create(new JobsOptions()), Options.Create(new AutomaticInstallOptions()), Options.Create(new AppInstallationOptions()),
            Options.Create(new ActiveUserSweepOptions()), Options.Create(new AnnouncementOptions()), clock, log);

    private static async Task AdvanceUntil(FakeTimeProvider clock, Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(5);
        }

        Assert.True(condition(), "The condition did not come true.");
    }

    /// <summary>Registers jobs, except that one job's lock is held for its first attempts.</summary>
    private sealed class LockedJobs(string lockedJob, int timesLocked) : IRecurringJobManager
    {
        private readonly ConcurrentDictionary<string, int> attempts = new();

        public ConcurrentDictionary<string, string> Registered { get; } = new();

        public int Attempts(string id) => attempts.GetValueOrDefault(id);

        public void AddOrUpdate(string recurringJobId, Job job, string cronExpression, RecurringJobOptions options)
        {
            var attempt = attempts.AddOrUpdate(recurringJobId, 1, (_, n) => n + 1);
            if (recurringJobId == lockedJob && attempt <= timesLocked)
            {
                throw new DistributedLockTimeoutException($"recurring-job:{recurringJobId}");
            }

            Registered[recurringJobId] = cronExpression;
        }

        public void Trigger(string recurringJobId) => throw new NotSupportedException();

        public void RemoveIfExists(string recurringJobId) => throw new NotSupportedException();
    }
}
