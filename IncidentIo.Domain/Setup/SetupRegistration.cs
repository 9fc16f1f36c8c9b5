using IncidentIo.Domain.MicrosoftCloud;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IncidentIo.Domain.Setup;

public static class SetupRegistration
{
    /// <summary>
    /// The guided setup's services, for the Portal only: they act for a signed-in person through
    /// Microsoft.Identity.Web's <c>ITokenAcquisition</c>, which only the Portal registers (as a singleton).
    /// </summary>
    public static IServiceCollection AddSetupFlows(this IServiceCollection services)
    {
        services.AddGraphClients();
        services.AddSingleton<OrganizationOnboarding>();
        services.AddSingleton<AdminConsentFlow>();
        services.AddSingleton<SetupSteps>();
        services.AddSingleton<PlanSettings>();
        services.AddSingleton<TeamsAppInstallationCheck>();
        services.TryAddSingleton<TeamsApp.TeamsAppCatalog>();
        return services;
    }
}
