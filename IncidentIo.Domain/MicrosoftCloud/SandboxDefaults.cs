using IncidentIo.Domain.Hosting;
using Microsoft.Extensions.Configuration;

namespace IncidentIo.Domain.MicrosoftCloud;

/// <summary>
/// Sandbox mode: our app registrations as the Sandbox knows them, and timings that suit it, as
/// defaults that configuration overrides. The ids are the Sandbox's own and mean nothing to real
/// Entra ID. Every process applies them, so a Worker acts as the same apps as the Portal.
/// </summary>
public static class SandboxDefaults
{
    public const string MainAppClientId = "5a1d7c3e-9b2f-4e61-8c4d-0f3e2a1b9c01";
    public const string MainAppSecret = "sandbox-main-app-secret";
    public const string SetupAppClientId = "5a1d7c3e-9b2f-4e61-8c4d-0f3e2a1b9c02";
    public const string SetupAppSecret = "sandbox-setup-app-secret";
    public const string BotSecret = "sandbox-bot-secret";

    /// <summary>The Sandbox's "IncidentIo" tenant, where our support staff sign in (<c>staff@incidentio.example</c>).</summary>
    public const string StaffTenantId = "1c1de471-0000-4000-8000-000000000000";

    public static void ApplyUnlessConfigured(IConfigurationManager configuration)
    {
        var microsoft = configuration.GetSection(MicrosoftOptions.Section).Get<MicrosoftOptions>() ?? new MicrosoftOptions();
        if (!microsoft.IsSandbox)
        {
            return;
        }

        var instance = microsoft.SandboxOrigin.TrimEnd('/') + "/";
        var defaults = new Dictionary<string, string?>
        {
            ["AzureAd:Instance"] = instance,
            ["AzureAd:TenantId"] = "organizations",
            ["AzureAd:ClientId"] = MainAppClientId,
            ["AzureAd:ClientSecret"] = MainAppSecret,
            ["AzureAd:CallbackPath"] = "/signin-oidc",
            ["AzureAd:SignedOutCallbackPath"] = "/signout-callback-oidc",
            // Teams only lets an app install "itself" for users (…ConsentSelfForUser) when the
            // manifest's webApplicationInfo.id is that app: our main app registration.
            ["TeamsApp:TabSsoAppId"] = MainAppClientId,
            ["Bot:ClientSecret"] = BotSecret,
            ["SetupApp:ClientId"] = SetupAppClientId,
            ["SetupApp:ClientSecret"] = SetupAppSecret,
            // The Sandbox creates teams in seconds; real Teams asks for polls 30 s apart.
            ["AutomaticInstall:OperationPollInterval"] = "00:00:01",
            // People signed in from the Sandbox's own "IncidentIo" tenant are our support staff.
            ["Support:StaffTenantId"] = StaffTenantId,
        };

        // Only the keys nobody set. Setting (not adding a source) keeps values that were set on
        // the configuration directly: adding a source would rebuild it without them.
        foreach (var (key, value) in defaults)
        {
            configuration[key] ??= value;
        }
    }
}
