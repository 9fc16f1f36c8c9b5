using IncidentIo.Domain.MicrosoftCloud;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Reachability;

public static class ReachabilityRegistration
{
    /// <summary>Per-user installs of our app: options, the installer, its jobs and requests, and the tenant pacer they share.</summary>
    public static IServiceCollection AddReachability(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AppInstallationOptions>().Bind(configuration.GetSection(AppInstallationOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AppInstallationOptions>, AppInstallationOptionsValidator>();
        services.AddSingleton<MainAppTokens>();
        services.AddSingleton<TenantGraphPacer>();
        services.AddSingleton<PacedGraphCalls>();
        services.AddSingleton<UserAppInstaller>();
        services.TryAddSingleton<TeamsApp.TeamsAppCatalog>();
        services.AddSingleton<AppInstallationRequests>();
        services.AddSingleton<PersonTeams>();
        services.AddSingleton<Users.OrganizationPeople>();
        services.AddTransient<AppInstallationJobs>();
        return services;
    }
}
