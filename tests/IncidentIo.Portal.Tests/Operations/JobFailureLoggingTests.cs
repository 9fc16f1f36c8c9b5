using Hangfire;
using IncidentIo.Domain;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace IncidentIo.Portal.Tests.Operations;

/// <summary>What an operator reads when a job fails: a warning per attempt that will be tried again, one error when it gives up.</summary>
public sealed class JobFailureLoggingTests : IAsyncLifetime
{
    private readonly string dataFolder = Directory.CreateTempSubdirectory("incidentio-joblog-").FullName;
    private readonly LogCapture log = new();
    private IHost host = null!;

    public async Task InitializeAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["DataFolder"] = dataFolder;
        builder.Configuration["Jobs:WorkerCount"] = "1";
        builder.Configuration["Jobs:SchedulePollingInterval"] = "00:00:01";
        builder.AddIncidentIoDomain("portal", runJobServer: true);
        builder.Logging.AddProvider(log);
        builder.Services.AddTransient<FailingJob>();
        host = builder.Build();
        await host.Services.PrepareIncidentIoAsync();
        await host.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await host.StopAsync();
        host.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(dataFolder, recursive: true);
    }

    [Fact]
    public async Task A_job_that_fails_for_good_is_an_error_and_a_retried_attempt_a_warning()
    {
        var jobs = host.Services.GetRequiredService<IBackgroundJobClient>();

        var once = jobs.Enqueue<FailingJob>(j => j.NoRetries());
        var twice = jobs.Enqueue<FailingJob>(j => j.OneRetry());

        await log.WaitForAsync(e => e.Level == LogLevel.Error && e.Message.Contains($"Job {twice} ", StringComparison.Ordinal));
        var ours = log.Entries.Where(e => e.Category == "IncidentIo.Jobs").ToList();
        Assert.Single(ours, e => e.Level == LogLevel.Error && e.Message.Contains($"Job {once} (FailingJob.NoRetries) failed and will not be tried again", StringComparison.Ordinal));
        Assert.Single(ours, e => e.Level == LogLevel.Warning && e.Message.Contains($"Job {twice} (FailingJob.OneRetry) failed and will be tried again", StringComparison.Ordinal));
        Assert.Single(ours, e => e.Level == LogLevel.Error && e.Message.Contains($"Job {twice} (FailingJob.OneRetry) failed and will not be tried again", StringComparison.Ordinal));
        Assert.DoesNotContain(ours, e => e.Level == LogLevel.Warning && e.Message.Contains($"Job {once} ", StringComparison.Ordinal));
    }

    public sealed class FailingJob
    {
        private readonly string reason = "the job's work failed";

        [AutomaticRetry(Attempts = 0)]
        public void NoRetries() => throw new InvalidOperationException(reason);

        [AutomaticRetry(Attempts = 1, DelaysInSeconds = [0])]
        public void OneRetry() => throw new InvalidOperationException(reason);
    }
}
