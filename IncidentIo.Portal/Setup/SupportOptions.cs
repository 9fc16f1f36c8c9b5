using System.Security.Claims;
using System.Text.RegularExpressions;
using Microsoft.Identity.Web;
using Microsoft.Extensions.Options;

namespace IncidentIo.Portal.Setup;

/// <summary><c>Support:*</c>: where customers write when setup goes wrong, and who our support staff are.</summary>
public sealed class SupportOptions
{
    public const string Section = "Support";

    /// <summary>The address "Contact support" links write to.</summary>
    public string Email { get; set; } = "support@incidentio.example";

    /// <summary>
    /// Our own Entra tenant: people signed in from it are support staff and see every organisation
    /// in the support console. None (nobody is staff) unless set; Sandbox mode sets the Sandbox's.
    /// </summary>
    public string? StaffTenantId { get; set; }

    public Guid? StaffTenant => Guid.TryParse(StaffTenantId, out var tenant) && tenant != Guid.Empty ? tenant : null;

    /// <summary>Whether <paramref name="principal"/> signed in from our staff tenant.</summary>
    public bool IsStaff(ClaimsPrincipal? principal) =>
        principal?.Identity?.IsAuthenticated == true
        && StaffTenant is { } staff
        && Guid.TryParse(principal.GetTenantId(), out var tenant)
        && tenant == staff;
}

/// <summary>The address must look like one: it ends up in <c>mailto:</c> links unescaped. The staff tenant must be a tenant id.</summary>
public sealed partial class SupportOptionsValidator : IValidateOptions<SupportOptions>
{
    public ValidateOptionsResult Validate(string? name, SupportOptions options)
    {
        if (options.Email is not { } email || !EmailAddress().IsMatch(email))
        {
            return ValidateOptionsResult.Fail($"Support:Email must be an e-mail address, like 'support@incidentio.example', not '{options.Email}'.");
        }

        if (!string.IsNullOrWhiteSpace(options.StaffTenantId) && options.StaffTenant is null)
        {
            return ValidateOptionsResult.Fail(
                $"Support:StaffTenantId must be our own Entra tenant id (a GUID), like '1c1de471-0000-4000-8000-000000000000', not '{options.StaffTenantId}'.");
        }

        return ValidateOptionsResult.Success;
    }

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
