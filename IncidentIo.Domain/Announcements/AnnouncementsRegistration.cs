using IncidentIo.Domain.Incidents;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Announcements;

public static class AnnouncementsRegistration
{
    /// <summary>Incidents, announcement rules and the announcing jobs, with <c>Incidents:*</c> and <c>Announcements:*</c> checked at start-up.</summary>
    public static IServiceCollection AddIncidentsAndAnnouncements(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddIncidentAndAnnouncementOptions(configuration);
        services.AddSingleton<IncidentService>();
        services.AddSingleton<AnnouncementSettings>();
        services.AddTransient<AnnouncementJobs>();
        services.AddTransient<DeliverySender>();
        services.AddSingleton<TeamChannels>();
        return services;
    }

    /// <summary>The settings alone, with their start-up checks.</summary>
    public static IServiceCollection AddIncidentAndAnnouncementOptions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<IncidentOptions>().Bind(configuration.GetSection(IncidentOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<IncidentOptions>, IncidentOptionsValidator>();
        services.AddOptions<AnnouncementOptions>().Bind(configuration.GetSection(AnnouncementOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AnnouncementOptions>, AnnouncementOptionsValidator>();
        return services;
    }
}
