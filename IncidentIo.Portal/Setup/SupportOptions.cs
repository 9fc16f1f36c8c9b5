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

    /// <summary>
    /// The app role (of our main app registration) a member of the staff tenant must be assigned to be
    /// staff; Entra puts assigned app roles in the ID token's <c>roles</c> claim.
    /// https://learn.microsoft.com/en-us/entra/identity-platform/howto-add-app-roles-in-apps
    /// </summary>
    public string StaffAppRole { get; set; } = "Support.Staff";

    /// <summary>
    /// Whether <paramref name="principal"/> is our staff: signed in from our staff tenant, assigned
    /// <see cref="StaffAppRole"/>, and a member of that tenant, not a guest. Guests are recognised by the
    /// optional <c>acct</c> claim (1 = guest) and by the <c>#EXT#</c> Entra puts in a guest's UPN in the
    /// resource tenant; configure <c>acct</c> as an optional ID-token claim of the main app.
    /// https://learn.microsoft.com/en-us/entra/identity-platform/optional-claims-reference
    /// </summary>
    public bool IsStaff(ClaimsPrincipal? principal) =>
        FromStaffTenant(principal)
        && HasStaffRole(principal!)
        && !IsGuest(principal!);

    /// <summary>
    /// Signed in from our own tenant, staff or not: our tenant is no customer, so nobody from it ever gets
    /// an organisation; those who are not staff are simply refused.
    /// </summary>
    public bool FromStaffTenant(ClaimsPrincipal? principal) =>
        principal?.Identity?.IsAuthenticated == true
        && StaffTenant is { } staff
        && Guid.TryParse(principal.GetTenantId(), out var tenant)
        && tenant == staff;

    private bool HasStaffRole(ClaimsPrincipal principal) =>
        principal.FindAll("roles").Concat(principal.FindAll(ClaimTypes.Role)).Any(claim => string.Equals(claim.Value, StaffAppRole, StringComparison.Ordinal));

    /// <summary>A guest of the tenant (a person from another organisation invited in), per Entra's own markers.</summary>
    public static bool IsGuest(ClaimsPrincipal principal) =>
        principal.FindFirst("acct")?.Value == "1"
        || new[] { "preferred_username", "upn", ClaimTypes.Upn }
            .Any(type => principal.FindFirst(type)?.Value.Contains("#EXT#", StringComparison.OrdinalIgnoreCase) == true);
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

        // App role values: no spaces, printable ASCII (Entra's own rule for an app role's value).
        if (options.StaffAppRole is not { Length: > 0 and <= 120 } role || !AppRoleValue().IsMatch(role))
        {
            return ValidateOptionsResult.Fail(
                $"Support:StaffAppRole must be the value of an app role of our main app registration (no spaces), like 'Support.Staff', not '{options.StaffAppRole}'.");
        }

        return ValidateOptionsResult.Success;
    }

    [GeneratedRegex(@"^[!-~]+$")]
    private static partial Regex AppRoleValue();

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
