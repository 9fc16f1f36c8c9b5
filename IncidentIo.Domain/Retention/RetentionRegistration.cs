using Hangfire;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Retention;

public static class RetentionRegistration
{
    public const string RecurringJobId = "retention-cleanup";

    /// <summary>The cleanup job with <c>Retention:*</c> checked at start-up; scheduled where a job server runs.</summary>
    public static IServiceCollection AddRetention(this IServiceCollection services, IConfiguration configuration, bool runJobServer)
    {
        services.AddRetentionOptions(configuration);
        services.AddTransient<RetentionJob>();
        if (runJobServer)
        {
            services.AddHostedService<RetentionSchedule>();
        }

        return services;
    }

    /// <summary>The settings alone, with their start-up checks.</summary>
    public static IServiceCollection AddRetentionOptions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RetentionOptions>().Bind(configuration.GetSection(RetentionOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RetentionOptions>, RetentionOptionsValidator>();
        return services;
    }

    private sealed class RetentionSchedule(IRecurringJobManager recurringJobs, IOptions<RetentionOptions> options) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            recurringJobs.AddOrUpdate<RetentionJob>(RecurringJobId, job => job.RunAsync(CancellationToken.None), options.Value.Schedule);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
