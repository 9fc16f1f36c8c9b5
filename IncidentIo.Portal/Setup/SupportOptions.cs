using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace IncidentIo.Portal.Setup;

/// <summary><c>Support:*</c>: where customers write when setup goes wrong.</summary>
public sealed class SupportOptions
{
    public const string Section = "Support";

    /// <summary>The address "Contact support" links write to.</summary>
    public string Email { get; set; } = "support@incidentio.example";
}

/// <summary>The address must look like one: it ends up in <c>mailto:</c> links unescaped.</summary>
public sealed partial class SupportOptionsValidator : IValidateOptions<SupportOptions>
{
    public ValidateOptionsResult Validate(string? name, SupportOptions options) =>
        options.Email is { } email && EmailAddress().IsMatch(email)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Support:Email must be an e-mail address, like 'support@incidentio.example', not '{options.Email}'.");

    [GeneratedRegex(@"^[A-Za-z0-9._+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")]
    private static partial Regex EmailAddress();
}

public static class SupportRegistration
{
    /// <summary>Binds and checks <c>Support:*</c> at start-up and registers <see cref="SupportContact"/>.</summary>
    public static IServiceCollection AddSupportContact(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<IValidateOptions<SupportOptions>, SupportOptionsValidator>();
        services.AddOptions<SupportOptions>().Bind(configuration.GetSection(SupportOptions.Section)).ValidateOnStart();
        services.AddSingleton<SupportContact>();
        return services;
    }
}
