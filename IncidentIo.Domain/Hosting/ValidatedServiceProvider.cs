using Microsoft.Extensions.DependencyInjection;

namespace IncidentIo.Domain.Hosting;

/// <summary>
/// The checks every service provider of ours is built with, in every environment and every test:
/// lifetimes (no singleton holding a scoped service) and that each registration can be constructed.
/// </summary>
public static class ValidatedServiceProvider
{
    public static ServiceProviderOptions Options => new() { ValidateScopes = true, ValidateOnBuild = true };

    /// <summary>Builds <paramref name="services"/> with the same checks the product's hosts use.</summary>
    public static ServiceProvider BuildValidated(this IServiceCollection services) => services.BuildServiceProvider(Options);
}
