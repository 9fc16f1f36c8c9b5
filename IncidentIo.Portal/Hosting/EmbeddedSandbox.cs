using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using IncidentIo.Domain.Bot;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.Setup;
using IncidentIo.Domain.Setup.AutomaticInstall;
using IncidentIo.Domain.TeamsApp;
using IncidentIo.Portal.Bot;
using IncidentIo.Portal.Setup;
using IncidentIo.Sandbox.Hosting;
using IncidentIo.Sandbox.State;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Web;

namespace IncidentIo.Portal.Hosting;

/// <summary>
/// The embedded default's Microsoft 365: the Sandbox, started inside the Portal process on
/// <c>Microsoft:SandboxOrigin</c> with a certificate from the installation's own authority, and
/// told about our app registrations as the Portal's configuration describes them.
/// </summary>
public sealed class EmbeddedSandbox(
    IOptions<MicrosoftOptions> microsoft,
    IOptionsMonitor<MicrosoftIdentityOptions> identity,
    IOptions<TeamsAppOptions> teamsApp,
    IOptions<SetupAppOptions> setupApp,
    IOptions<BotOptions> bot,
    IOptions<SupportOptions> support,
    IOptions<EmbeddedSandboxOptions> sandboxOptions,
    LocalCertificates certificates,
    IServer server,
    IHostApplicationLifetime lifetime,
    ILoggerFactory loggers,
    ILogger<EmbeddedSandbox> logger) : IHostedService, IAsyncDisposable
{
    private SandboxHost? sandbox;
    private HttpClient? channelClient;

    public SandboxHost Host => sandbox ?? throw new InvalidOperationException("The Sandbox has not started.");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var origin = new Uri(microsoft.Value.SandboxOrigin);
        sandbox = await SandboxHost.StartAsync(
            new SandboxOptions
            {
                ServerCertificate = certificates.Server,
                Port = origin.Port,
                // Its warnings and errors belong in the Portal's log: a newcomer watches one console.
                ConfigureLogging = logging => logging.AddProvider(new ForwardedLoggers(loggers, "IncidentIo.Sandbox")),
            },
            cancellationToken);
        RegisterApps([]);
        RegisterBot();
        PublishTeamsApp();

        // Redirect URIs depend on the addresses the Portal really listens on, known once it has started.
        lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            RegisterApps(addresses);
            PointChannelAtPortal(addresses);
        });
    }

    private void RegisterApps(ICollection<string> portalAddresses)
    {
        var main = identity.Get(OpenIdConnectDefaults.AuthenticationScheme);
        var callbacks = RedirectOrigins(portalAddresses)
            .SelectMany(o => new[] { $"{o}{main.CallbackPath}", $"{o}{ConsentEndpoints.GlobalCallbackPath}" }).ToList();
        Host.RegisterApp(new AppRegistration
        {
            ClientId = main.ClientId!,
            DisplayName = "IncidentIo",
            ClientSecrets = main.ClientSecret is { Length: > 0 } secret ? [secret] : [],
            RedirectUris = callbacks,
            DelegatedScopes = ["User.Read"],
            ApplicationPermissions = [.. GlobalPermissions.Names],
            // The staff app role; the Sandbox's staff user is assigned it (as DemoSeed.StaffAppRole, the default name).
            AppRoles = [support.Value.StaffAppRole],
        });
        if (setupApp.Value is { IsConfigured: true } setup)
        {
            Host.RegisterApp(new AppRegistration
            {
                ClientId = setup.ClientId!,
                DisplayName = "IncidentIo setup (temporary)",
                ClientSecrets = [setup.ClientSecret!],
                RedirectUris = [.. RedirectOrigins(portalAddresses).Select(o => $"{o}{ConsentEndpoints.SetupAppCallbackPath}")],
                ApplicationPermissions = [.. SetupPermissions.Names],
            });
        }
    }

    /// <summary>Our bot's Entra app registration (connector tokens) and its Azure Bot resource.</summary>
    private void RegisterBot()
    {
        var botId = teamsApp.Value.BotId;
        Host.RegisterApp(new AppRegistration
        {
            ClientId = botId,
            DisplayName = "IncidentIo Bot",
            ClientSecrets = bot.Value.ClientSecret is { Length: > 0 } secret ? [secret] : [],
        });
        Host.Bot.RegisterBot(new IncidentIo.Sandbox.BotFramework.BotRegistration { AppId = botId, Name = teamsApp.Value.ShortName });
    }

    /// <summary>
    /// The channel posts Teams' activities to our messaging endpoint on the Portal's https address,
    /// trusting the Portal's certificate: issued by the same local authority as the Sandbox's own.
    /// </summary>
    private void PointChannelAtPortal(ICollection<string> portalAddresses)
    {
        if (PortalOrigins(portalAddresses).FirstOrDefault(o => o.StartsWith("https://localhost:", StringComparison.Ordinal)) is not { } origin)
        {
            logger.LogWarning("The Portal listens on no https address: the Sandbox's Teams channel cannot reach our bot");
            return;
        }

        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(certificates.Authority);
        channelClient = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy },
        });
        Host.Bot.Channel.HttpClient = channelClient;
        Host.Bot.Channel.Endpoint = new Uri($"{origin}{BotEndpoint.Path}");
    }

    /// <summary>
    /// Our Teams app in every tenant's app catalog, as <c>Sandbox:TeamsAppDistribution</c> says it got
    /// there: from the Teams Store (catalog id = our manifest id), uploaded by the customer's admin
    /// (a catalog id of the tenant's own), or both. Graph installs by catalog id.
    /// </summary>
    private void PublishTeamsApp()
    {
        var app = teamsApp.Value;
        // The definition carries the manifest's resource-specific permissions, so the Sandbox refuses
        // installs our package would get refused for in Teams.
        var rsc = new TeamsAppPackage(teamsApp).RenderManifest()["authorization"]?["permissions"]?["resourceSpecific"]?.AsArray()
            .Select(p => new RscEntry((string)p!["name"]!, (string)p["type"]!)).ToList();
        foreach (var tenant in Host.State.Tenants())
        {
            foreach (var distribution in sandboxOptions.Value.DistributionMethods)
            {
                Host.PublishTeamsApp(tenant.Id, app.AppId, app.ShortName, app.Version, botId: app.BotId, azureAdAppId: app.TabSsoAppId,
                    configurationUrl: $"https://{app.PortalHost}/teams/configure", distributionMethod: distribution, resourceSpecificPermissions: rsc);
            }
        }
    }

    /// <summary>Every origin a browser may use for the Portal: as bound, and with localhost for loopback.</summary>
    /// <summary>Where Entra may send people back: the Portal's own addresses and its public host (a proxy in front of it).</summary>
    private IEnumerable<string> RedirectOrigins(ICollection<string> addresses) =>
        PortalOrigins(addresses).Append($"https://{teamsApp.Value.PortalHost}").Distinct(StringComparer.OrdinalIgnoreCase);

    private static IEnumerable<string> PortalOrigins(ICollection<string> addresses)
    {
        foreach (var address in addresses)
        {
            var uri = new Uri(address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal));
            yield return $"{uri.Scheme}://{uri.Authority}";
            yield return $"{uri.Scheme}://localhost:{uri.Port}";
            yield return $"{uri.Scheme}://127.0.0.1:{uri.Port}";
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (sandbox is not null)
        {
            await sandbox.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (sandbox is not null)
        {
            await sandbox.DisposeAsync();
        }

        channelClient?.Dispose();
    }
}
