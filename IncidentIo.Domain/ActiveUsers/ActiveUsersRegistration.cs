using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.ActiveUsers;

public static class ActiveUsersRegistration
{
    public static IServiceCollection AddActiveUserSweep(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ActiveUserSweepOptions>().Bind(configuration.GetSection(ActiveUserSweepOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ActiveUserSweepOptions>, ActiveUserSweepOptionsValidator>();
        services.AddSingleton<TeamMemberReader>();
        services.AddSingleton<BotTeamReader>();
        services.AddSingleton<ActiveUserSweep>();
        services.TryAddSingleton<TeamsApp.TeamsAppCatalog>();
        services.AddTransient<ActiveUserSweepJobs>();
        return services;
    }
}
