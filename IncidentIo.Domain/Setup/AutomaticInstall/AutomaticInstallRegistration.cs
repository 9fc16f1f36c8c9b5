using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Setup.AutomaticInstall;

public static class AutomaticInstallRegistration
{
    public static IServiceCollection AddAutomaticInstall(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SetupAppOptions>().Bind(configuration.GetSection(SetupAppOptions.Section))
            .PostConfigure(o => o.Instance ??= configuration["AzureAd:Instance"] ?? "https://login.microsoftonline.com/")
            .Validate(o => Uri.TryCreate(o.Instance, UriKind.Absolute, out _),
                "SetupApp:Instance (or AzureAd:Instance) must be an absolute address such as https://login.microsoftonline.com/.")
            .Validate(o => string.IsNullOrWhiteSpace(o.ClientId) || Guid.TryParse(o.ClientId, out _),
                "SetupApp:ClientId must be the temporary setup app's client id (a GUID).")
            .Validate(o => string.IsNullOrWhiteSpace(o.ClientId) == string.IsNullOrWhiteSpace(o.ClientSecret),
                "SetupApp:ClientId and SetupApp:ClientSecret go together: set both for the automatic install, or neither.")
            .ValidateOnStart();
        services.AddOptions<AutomaticInstallOptions>().Bind(configuration.GetSection(AutomaticInstallOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AutomaticInstallOptions>, AutomaticInstallOptionsValidator>();
        services.AddSingleton<SetupAppTokens>();
        services.AddSingleton<AutomaticInstalls>();
        services.AddTransient<AutomaticInstallJob>();
        services.TryAddSingleton<TeamsApp.TeamsAppCatalog>();
        return services;
    }
}
