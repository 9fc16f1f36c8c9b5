using System.Net.Http.Headers;
using IncidentIo.Sandbox.BotFramework;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Tests.Infrastructure;
using Microsoft.Identity.Client;

namespace IncidentIo.Sandbox.Tests.BotFramework;

/// <summary>
/// A Sandbox of its own (its clock moves in some tests) with our bot registered, an in-memory
/// Teams directory, and the in-test bot endpoint the channel posts to.
/// </summary>
public sealed class BotFixture : IAsyncLifetime
{
    public const string Secret = "bot-s3cret";
    public static readonly string[] ConnectorScope = ["https://api.botframework.com/.default"];

    private HttpClient? _channelClient;

    public SandboxFixture Sandbox { get; } = new();

    public BotFrameworkSandbox Bot => Sandbox.Host.Bot;

    public string BotId { get; } = Guid.NewGuid().ToString();

    public BotDirectory Directory { get; private set; } = null!;

    public TestBot Endpoint { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Sandbox.InitializeAsync();
        Sandbox.RegisterApp(a => a with { ClientId = BotId, DisplayName = "IncidentIo Bot", ClientSecrets = [Secret] });
        Directory = new BotDirectory(Sandbox.State);
        Bot.Directory = Directory;
        Endpoint = await TestBot.StartAsync(BotId, Bot.OpenIdMetadataUrl);
        Bot.RegisterBot(new BotRegistration { AppId = BotId, Name = "IncidentIo", Endpoint = Endpoint.Endpoint });
        _channelClient = new HttpClient(TestCertificates.Authority.CreateTrustingHandler());
        Bot.Channel.HttpClient = _channelClient;
    }

    public async Task DisposeAsync()
    {
        await Endpoint.DisposeAsync();
        _channelClient?.Dispose();
        await Sandbox.DisposeAsync();
    }

    public IConfidentialClientApplication Msal(string? clientId = null, string secret = Secret) =>
        ConfidentialClientApplicationBuilder.Create(clientId ?? BotId)
            .WithClientSecret(secret)
            .WithAuthority($"{Sandbox.Origin}/{BotFrameworkSandbox.TenantDomain}")
            .WithHttpClientFactory(new MsalHttpClientFactory(Sandbox.Http))
            .Build();

    /// <summary>An HTTP client for the connector with a connector token from MSAL, as the product's would be.</summary>
    public async Task<HttpClient> ConnectorAsync()
    {
        var token = await Msal().AcquireTokenForClient(ConnectorScope).ExecuteAsync();
        var client = new HttpClient(TestCertificates.Authority.CreateHandler(Sandbox.Origin)) { BaseAddress = new Uri(Bot.ServiceUrl) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.AccessToken);
        return client;
    }

    /// <summary>A Contoso team with the given seeded users; our app installed in it when asked.</summary>
    public BotTeam Team(bool withApp, params Guid[] userIds)
    {
        var members = userIds.Select(id => BotDirectory.FromUser(Sandbox.State.FindUser(id)!));
        var team = Directory.AddTeam(DemoSeed.ContosoTenantId, $"Team {Guid.NewGuid():N}", members);
        if (withApp)
        {
            Directory.InstallInTeam(BotId, team.Id);
        }

        return team;
    }
}

[CollectionDefinition(Name)]
public sealed class SharedBotSandbox : ICollectionFixture<BotFixture>
{
    public const string Name = "Bot Framework";
}
