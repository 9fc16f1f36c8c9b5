using IncidentIo.Domain.ActiveUsers;
using IncidentIo.Domain.Announcements;
using IncidentIo.Domain.Bot;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Health;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.Jobs;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.People;
using IncidentIo.Domain.Reachability;
using IncidentIo.Domain.Retention;
using IncidentIo.Domain.Roles;
using IncidentIo.Domain.Setup.AutomaticInstall;
using IncidentIo.Domain.TeamsApp;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain;

public static class DomainRegistration
{
    /// <summary>
    /// Everything the Portal and the Worker share: configuration checks, the database, job storage
    /// (and a job server when <paramref name="runJobServer"/>), data protection keys, health checks, telemetry.
    /// </summary>
    /// <param name="role">"portal" or "worker": names this process in job records and telemetry.</param>
    public static IHostApplicationBuilder AddIncidentIoDomain(this IHostApplicationBuilder builder, string role, bool runJobServer)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        // Every environment, not only Development: a singleton that captures a scoped service, or
        // a registration that cannot be built, stops the process before it serves anything.
        builder.ConfigureContainer(new DefaultServiceProviderFactory(ValidatedServiceProvider.Options));
        SandboxDefaults.ApplyUnlessConfigured(builder.Configuration);

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(DataFolder.From(configuration));
        services.AddSingleton(new JobServerIdentity(role));
        // Created on first use (after the configuration check): the https certificate and the Sandbox's authority.
        services.AddSingleton(sp => LocalCertificates.LoadOrCreate(sp.GetRequiredService<DataFolder>(), sp.GetService<ILogger<LocalCertificates>>()));
        services.AddSingleton<IncidentIoOptionsValidator>();
        services.AddSingleton<IValidateOptions<DatabaseOptions>>(sp => sp.GetRequiredService<IncidentIoOptionsValidator>());
        services.AddSingleton<IValidateOptions<JobsOptions>>(sp => sp.GetRequiredService<IncidentIoOptionsValidator>());
        services.AddSingleton<IValidateOptions<MicrosoftOptions>>(sp => sp.GetRequiredService<IncidentIoOptionsValidator>());
        services.AddOptions<MicrosoftOptions>().Bind(configuration.GetSection(MicrosoftOptions.Section)).ValidateOnStart();

        services.AddIncidentIoDatabase(configuration);
        services.AddIncidentIoJobs(configuration, runJobServer);
        services.AddTeamsAppPackage(configuration);
        services.AddMicrosoftHttp();
        // MSAL's token caches (Identity.Web's distributed adapter) live in the shared database.
        services.AddSingleton<IDistributedCache, DatabaseDistributedCache>();
        services.AddAutomaticInstall(configuration);
        services.AddReachability(configuration);
        services.AddActiveUserSweep(configuration);
        services.AddPeople();
        services.AddOrganizationRoles();
        services.AddBot(configuration);
        services.AddIncidentsAndAnnouncements(configuration);
        services.AddRetention(configuration, runJobServer);

        // Keys in the shared database so every Portal instance can read the others' cookies.
        services.AddIncidentIoDataProtection(configuration);

        services.AddHealthEndpoint(configuration);
        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database")
            .AddCheck<JobStorageHealthCheck>("jobs");

        builder.AddIncidentIoTelemetry($"IncidentIo.{char.ToUpperInvariant(role[0])}{role[1..]}");
        return builder;
    }

    /// <summary>
    /// Runs before the process serves anything: checks the whole configuration first (so a bad
    /// setting creates no files), then brings the database schema up to date.
    /// </summary>
    public static async Task PrepareIncidentIoAsync(this IServiceProvider services, CancellationToken cancellationToken = default)
    {
        services.GetService<IStartupValidator>()?.Validate();
        await services.GetRequiredService<DatabaseMigrator>().MigrateAsync(cancellationToken);
    }
}
