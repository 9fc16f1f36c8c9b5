using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.Setup;
using IncidentIo.Domain.Setup.AutomaticInstall;
using IncidentIo.Domain.TeamsApp;
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
    LocalCertificates certificates,
    IServer server,
    IHostApplicationLifetime lifetime,
    ILogger<EmbeddedSandbox> logger) : IHostedService, IAsyncDisposable
{
    private SandboxHost? sandbox;

    public SandboxHost Host => sandbox ?? throw new InvalidOperationException("The Sandbox has not started.");

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var origin = new Uri(microsoft.Value.SandboxOrigin);
        sandbox = await SandboxHost.StartAsync(
            new SandboxOptions { ServerCertificate = certificates.Server, Port = origin.Port }, cancellationToken);
        RegisterApps([]);
        PublishTeamsApp();

        // Redirect URIs depend on the addresses the Portal really listens on, known once it has started.
        lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            RegisterApps(addresses);
            logger.LogInformation("Sandbox (simulated Microsoft 365) is running at {Origin}; its admin page is {Origin}/sandbox", sandbox.Origin, sandbox.Origin);
        });
    }

    private void RegisterApps(ICollection<string> portalAddresses)
    {
        var main = identity.Get(OpenIdConnectDefaults.AuthenticationScheme);
        var callbacks = PortalOrigins(portalAddresses)
            .SelectMany(o => new[] { $"{o}{main.CallbackPath}", $"{o}{ConsentEndpoints.GlobalCallbackPath}" }).ToList();
        Host.RegisterApp(new AppRegistration
        {
            ClientId = main.ClientId!,
            DisplayName = "IncidentIo",
            ClientSecrets = main.ClientSecret is { Length: > 0 } secret ? [secret] : [],
            RedirectUris = callbacks,
            DelegatedScopes = ["User.Read"],
            ApplicationPermissions = [.. GlobalPermissions.Names],
        });
        if (setupApp.Value is { IsConfigured: true } setup)
        {
            Host.RegisterApp(new AppRegistration
            {
                ClientId = setup.ClientId!,
                DisplayName = "IncidentIo setup (temporary)",
                ClientSecrets = [setup.ClientSecret!],
                RedirectUris = [.. PortalOrigins(portalAddresses).Select(o => $"{o}{ConsentEndpoints.SetupAppCallbackPath}")],
                ApplicationPermissions = [.. SetupPermissions.Names],
            });
        }
    }

    /// <summary>
    /// Our Teams app in every tenant's app catalog, as if each customer had uploaded our package
    /// (or it came from the Store): Graph installs by catalog id, which Teams gives each tenant.
    /// </summary>
    private void PublishTeamsApp()
    {
        var app = teamsApp.Value;
        foreach (var tenant in Host.State.Tenants())
        {
            Host.PublishTeamsApp(tenant.Id, app.AppId, app.ShortName, app.Version, botId: app.BotId, azureAdAppId: app.TabSsoAppId,
                configurationUrl: $"https://{app.PortalHost}/teams/configure");
        }
    }

    /// <summary>Every origin a browser may use for the Portal: as bound, and with localhost for loopback.</summary>
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
    }
}
