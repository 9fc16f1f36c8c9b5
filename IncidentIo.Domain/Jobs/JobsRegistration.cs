using Hangfire;
using Hangfire.PostgreSql;
using IncidentIo.Domain.ActiveUsers;
using IncidentIo.Domain.Announcements;
using IncidentIo.Domain.Changes;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.People;
using IncidentIo.Domain.Reachability;
using IncidentIo.Domain.Setup.AutomaticInstall;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Jobs;

public static partial class JobsRegistration
{
    /// <summary>The PostgreSQL schema that holds Hangfire's tables, next to the product's own.</summary>
    public const string HangfireSchema = "hangfire";

    /// <summary>
    /// Job storage for every process that enqueues, and a job server where this process runs jobs:
    /// the Portal in <c>InProcess</c> mode, Worker processes in <c>Distributed</c> mode.
    /// </summary>
    public static IServiceCollection AddIncidentIoJobs(this IServiceCollection services, IConfiguration configuration, bool runJobServer)
    {
        services.AddOptions<JobsOptions>().Bind(configuration.GetSection(JobsOptions.Section)).ValidateOnStart();

        services.AddHangfire((sp, hangfire) =>
        {
            hangfire.SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
                .UseSimpleAssemblyNameTypeSerializer()
                .UseRecommendedSerializerSettings()
                .UseFilter(new JobTelemetryFilter(sp.GetRequiredService<ILoggerFactory>()));

            var jobs = sp.GetRequiredService<IOptions<JobsOptions>>().Value;
            if (jobs.IsDistributed)
            {
                var connectionString = sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.ConnectionString;
                hangfire.UsePostgreSqlStorage(
                    npgsql => npgsql.UseNpgsqlConnection(connectionString),
                    new PostgreSqlStorageOptions
                    {
                        SchemaName = HangfireSchema,
                        PrepareSchemaIfNecessary = true,
                        // LISTEN/NOTIFY: a job enqueued in one process is picked up by a worker in
                        // milliseconds instead of the 15 s polling default. Needed in every process.
                        EnableLongPolling = true,
                        // Safety net only: a notification that arrives while a worker thread is between
                        // fetches is missed, and the thread would otherwise sleep the 15 s default.
                        QueuePollInterval = TimeSpan.FromSeconds(5),
                    });
            }
            else
            {
                hangfire.UseInMemoryStorage();
            }
        });

        if (runJobServer)
        {
            services.AddHangfireServer((sp, server) =>
            {
                var jobs = sp.GetRequiredService<IOptions<JobsOptions>>().Value;
                server.ServerName = sp.GetRequiredService<JobServerIdentity>().Name;
                server.WorkerCount = jobs.WorkerCount;
                server.SchedulePollingInterval = jobs.SchedulePollingInterval;
            });
            services.TryAddSingleton(TimeProvider.System);
            services.AddHostedService<RecurringJobSchedule>();
            // After the server: /system pages hear that it came (and, on stop, went).
            services.AddHostedService<JobServerAnnouncement>();
        }

        services.AddScoped<HeartbeatJob>();
        services.AddSingleton<HeartbeatRequests>();
        return services;
    }

    /// <summary>
    /// Registers (or updates) the recurring jobs where a job server runs. A job whose registration
    /// fails (a worker killed moments ago still holds Hangfire's lock on it until the lock expires)
    /// is logged and tried again in the background: the schedule it had is still in storage, and a
    /// process that stops over it would leave the jobs with no server at all.
    /// </summary>
    internal sealed partial class RecurringJobSchedule(
        IRecurringJobManager recurringJobs,
        IOptions<JobsOptions> options,
        IOptions<AutomaticInstallOptions> automaticInstall,
        IOptions<AppInstallationOptions> appInstallation,
        IOptions<ActiveUserSweepOptions> activeUsers,
        IOptions<AnnouncementOptions> announcements,
        TimeProvider clock,
        ILogger<RecurringJobSchedule> logger) : IHostedService, IDisposable
    {
        private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(30);
        private readonly CancellationTokenSource stopping = new();
        private Task retrying = Task.CompletedTask;

        public Task StartAsync(CancellationToken cancellationToken)
        {
            var failed = Registrations().Where(r => !TryRegister(r)).ToList();
            if (failed.Count > 0)
            {
                retrying = RetryAsync(failed, stopping.Token);
            }

            return Task.CompletedTask;
        }

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            // Usually nothing is left to retry; and a host may stop this after disposing it.
            if (retrying.IsCompleted)
            {
                return;
            }

            await stopping.CancelAsync();
            await retrying.WaitAsync(cancellationToken).ContinueWith(static _ => { }, TaskScheduler.Default);
        }

        public void Dispose()
        {
            if (!retrying.IsCompleted)
            {
                stopping.Cancel();
            }

            stopping.Dispose();
        }

        private IEnumerable<(string Id, Action<string> Register)> Registrations()
        {
            yield return ("heartbeat", id => recurringJobs.AddOrUpdate<HeartbeatJob>(
                id, job => job.RunScheduledAsync(CancellationToken.None), options.Value.HeartbeatSchedule));
            yield return ("automatic-install-resume", id => recurringJobs.AddOrUpdate<AutomaticInstallJob>(
                id, job => job.ResumeStalledAsync(CancellationToken.None), automaticInstall.Value.ResumeSchedule));
            yield return ("app-installation-reconcile", id => recurringJobs.AddOrUpdate<AppInstallationJobs>(
                id, job => job.ReconcileAsync(CancellationToken.None), appInstallation.Value.ReconcileSchedule));
            yield return ("active-user-sweep", id => recurringJobs.AddOrUpdate<ActiveUserSweepJobs>(
                id, job => job.ScheduleAllAsync(CancellationToken.None), activeUsers.Value.Schedule));
            // A roster read whose job was lost or whose worker stopped goes on within a minute.
            yield return ("team-roster-resume", id => recurringJobs.AddOrUpdate<TeamRosters>(
                id, job => job.ResumeStalledAsync(CancellationToken.None), Cron.Minutely()));
            yield return ("announcements-sweep", id => recurringJobs.AddOrUpdate<AnnouncementJobs>(
                id, job => job.SweepAsync(CancellationToken.None), announcements.Value.SweepSchedule));
        }

        private bool TryRegister((string Id, Action<string> Register) registration)
        {
            try
            {
                registration.Register(registration.Id);
                return true;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogNotRegistered(e, registration.Id, RetryInterval);
                return false;
            }
        }

        private async Task RetryAsync(List<(string Id, Action<string> Register)> pending, CancellationToken stop)
        {
            try
            {
                while (pending.Count > 0)
                {
                    await Task.Delay(RetryInterval, clock, stop);
                    pending.RemoveAll(TryRegister);
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // The process is stopping.
            }
        }

        [LoggerMessage(Level = LogLevel.Warning, Message = "The recurring job {JobId} could not be registered now; its stored schedule stays in force and registering is tried again in {Retry}")]
        private partial void LogNotRegistered(Exception exception, string jobId, TimeSpan retry);
    }
}
