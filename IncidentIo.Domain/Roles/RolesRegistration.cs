using Microsoft.Extensions.DependencyInjection;

namespace IncidentIo.Domain.Roles;

public static class RolesRegistration
{
    public static IServiceCollection AddOrganizationRoles(this IServiceCollection services)
    {
        services.AddSingleton<OrganizationRoles>();
        return services;
    }
}
