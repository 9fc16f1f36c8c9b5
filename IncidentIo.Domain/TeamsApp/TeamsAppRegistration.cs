using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.TeamsApp;

public static class TeamsAppRegistration
{
    /// <summary>Binds and checks <c>TeamsApp:*</c> at start-up and registers <see cref="TeamsAppPackage"/>.</summary>
    public static IServiceCollection AddTeamsAppPackage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<IValidateOptions<TeamsAppOptions>, TeamsAppOptionsValidator>();
        services.AddOptions<TeamsAppOptions>()
            .Bind(configuration.GetSection(TeamsAppOptions.Section))
            .ValidateOnStart();
        services.AddSingleton<TeamsAppPackage>();
        services.AddSingleton<TeamsSsoTokens>();
        return services;
    }
}
