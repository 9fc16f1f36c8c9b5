using Microsoft.Extensions.DependencyInjection;

namespace IncidentIo.Domain.People;

public static class PeopleRegistration
{
    /// <summary>People found in the teams where our bot is installed: the roster reads and their jobs (needs the sweep's reader and the per-user installs).</summary>
    public static IServiceCollection AddPeople(this IServiceCollection services)
    {
        services.AddSingleton<TeamRosters>();
        return services;
    }
}
