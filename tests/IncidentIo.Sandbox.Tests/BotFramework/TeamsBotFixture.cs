using System.Net.Http.Headers;
using IncidentIo.Sandbox.BotFramework;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Tests.Infrastructure;
using Microsoft.Graph;
using Microsoft.Identity.Client;

namespace IncidentIo.Sandbox.Tests.BotFramework;

/// <summary>
/// A seeded Sandbox of its own whose bot side reads Teams state (the default), our app published to
/// Contoso's catalog with our bot's id, and the in-test bot at the channel's endpoint. The bot
/// validates channel tokens against Microsoft's metadata URL, which its client sends to the Sandbox.
/// </summary>
public sealed class TeamsBotFixture : IAsyncLifetime
{
    private static readonly string[] InstallPermissions =
    [
        "TeamsAppInstallation.ReadWriteForTeam.All", "TeamsAppInstallation.ReadWriteAndConsentSelfForUser.All", "AppCatalog.Read.All",
    ];

    private HttpClient? _channelClient;

    public SandboxFixture Sandbox { get; } = new();

    public BotFrameworkSandbox Bot => Sandbox.Host.Bot;

    public string BotId { get; } = Guid.NewGuid().ToString();

    public CatalogApp App { get; private set; } = null!;

    public TestBot Endpoint { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Sandbox.InitializeAsync();
        Sandbox.RegisterApp(a => a with { ClientId = BotId, DisplayName = "IncidentIo Bot", ClientSecrets = [BotFixture.Secret] });
        Endpoint = await TestBot.StartAsync(BotId, BotFrameworkSandbox.ProductionOpenIdMetadataUrl, TestCertificates.Authority.CreateHandler(Sandbox.Origin));
        Bot.RegisterBot(new BotRegistration { AppId = BotId, Name = "IncidentIo" });
        _channelClient = new HttpClient(TestCertificates.Authority.CreateTrustingHandler());
        Bot.Channel.HttpClient = _channelClient;
        Bot.Channel.Endpoint = Endpoint.Endpoint;
        App = Sandbox.Host.PublishTeamsApp(DemoSeed.ContosoTenantId, Guid.NewGuid().ToString(), "incident.io", "1.0.0", BotId);
    }

    public async Task DisposeAsync()
    {
        await Endpoint.DisposeAsync();
        _channelClient?.Dispose();
        await Sandbox.DisposeAsync();
    }

    /// <summary>A Graph client for Contoso as an app allowed to install Teams apps, as the product's is.</summary>
    public GraphServiceClient Graph()
    {
        var app = Sandbox.RegisterApp(a => a with { ApplicationPermissions = InstallPermissions });
        Sandbox.GrantAdminConsent(app, DemoSeed.ContosoTenantId);
        return Sandbox.Graph(() => Sandbox.AppTokenAsync(app, DemoSeed.ContosoTenantId));
    }

    /// <summary>An HTTP client for the connector with a connector token from MSAL.</summary>
    public async Task<HttpClient> ConnectorAsync()
    {
        var msal = ConfidentialClientApplicationBuilder.Create(BotId)
            .WithClientSecret(BotFixture.Secret)
            .WithAuthority($"{Sandbox.Origin}/{BotFrameworkSandbox.TenantDomain}")
            .WithHttpClientFactory(new MsalHttpClientFactory(Sandbox.Http))
            .Build();
        var token = await msal.AcquireTokenForClient(BotFixture.ConnectorScope).ExecuteAsync();
        var client = new HttpClient(TestCertificates.Authority.CreateHandler(Sandbox.Origin)) { BaseAddress = new Uri(Bot.ServiceUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.AccessToken);
        return client;
    }
}

[CollectionDefinition(Name)]
public sealed class TeamsBotSandbox : ICollectionFixture<TeamsBotFixture>
{
    public const string Name = "Bot Framework on Teams state";
}
