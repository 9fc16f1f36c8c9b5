using System.Collections.Concurrent;
using System.Net;
using IncidentIo.Domain.Bot;
using IncidentIo.Domain.Bot.Connector;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.TeamsApp;
using IncidentIo.Sandbox.BotFramework;
using IncidentIo.Sandbox.Hosting;
using IncidentIo.Sandbox.State;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IncidentIo.Domain.Tests.Bot;

/// <summary>
/// The product's connector with its own wiring (MSAL through the Microsoft HTTP client, the named
/// client, <c>Bot:*</c>, <c>TeamsApp:BotId</c>) against a Sandbox where our bot is registered, our
/// app is in Contoso's catalog and installed for Uma (not for Lou) and in the "Incidents" team
/// (not in "Finance").
/// </summary>
public sealed class BotConnectorHarness : IAsyncDisposable
{
    public const string BotSecret = "bot-secret";
    public static readonly Guid Contoso = DemoSeed.ContosoTenantId;

    private readonly string dataFolder;

    private BotConnectorHarness(
        string dataFolder, SandboxHost sandbox, ServiceProvider services, Team withApp, Team withoutApp, ConcurrentQueue<(string Path, HttpStatusCode Status)> answers)
    {
        ConnectorAnswers = answers;
        this.dataFolder = dataFolder;
        Sandbox = sandbox;
        Services = services;
        TeamWithApp = withApp;
        TeamWithoutApp = withoutApp;
    }

    public SandboxHost Sandbox { get; }

    public ServiceProvider Services { get; }

    public BotConnector Connector => Services.GetRequiredService<BotConnector>();

    public Uri ServiceUrl => new(Sandbox.Bot.ServiceUrl);

    public Team TeamWithApp { get; }

    public Team TeamWithoutApp { get; }

    /// <summary>The status of every connector answer the product received (token requests left out), in order.</summary>
    public ConcurrentQueue<(string Path, HttpStatusCode Status)> ConnectorAnswers { get; }

    public int ConnectorAnswersWith(HttpStatusCode status) => ConnectorAnswers.Count(a => a.Status == status);

    public static async Task<BotConnectorHarness> StartAsync(IReadOnlyDictionary<string, string?>? settings = null, bool enforceRateLimits = false)
    {
        var dataFolder = Directory.CreateTempSubdirectory("incidentio-bot-").FullName;
        var certificates = LocalCertificates.LoadOrCreate(new DataFolder(dataFolder));
        var sandbox = await SandboxHost.StartAsync(new SandboxOptions
        {
            ServerCertificate = certificates.Server,
            Bot = new BotFrameworkOptions { EnforceRateLimits = enforceRateLimits },
        });
        var teamsApp = new TeamsAppOptions();
        sandbox.RegisterApp(new AppRegistration { ClientId = teamsApp.BotId, DisplayName = "IncidentIo Bot", ClientSecrets = [BotSecret] });
        sandbox.Bot.RegisterBot(new IncidentIo.Sandbox.BotFramework.BotRegistration { AppId = teamsApp.BotId, Name = "IncidentIo" });
        var app = sandbox.PublishTeamsApp(Contoso, teamsApp.AppId, "IncidentIo", "1.0.0", botId: teamsApp.BotId);
        var teams = sandbox.State.Teams;
        sandbox.State.Teams.InstallForUser(Contoso, DemoSeed.UserId, app.Id, awaitingTeamsClient: false);
        var withApp = teams.CreateTeam(Contoso, "Incidents", null, [(DemoSeed.AdminId, true), (DemoSeed.UserId, false)]);
        teams.InstallInTeam(Contoso, withApp.Id, app.Id);
        var withoutApp = teams.CreateTeam(Contoso, "Finance", null, [(DemoSeed.AdminId, true)]);

        var values = new Dictionary<string, string?>
        {
            ["Microsoft:Mode"] = "Sandbox",
            ["Microsoft:SandboxOrigin"] = sandbox.Origin,
            ["Bot:ClientSecret"] = BotSecret,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var answers = new ConcurrentQueue<(string Path, HttpStatusCode Status)>();
        var collection = new ServiceCollection()
            .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton(TimeProvider.System)
            .AddSingleton(new DataFolder(dataFolder))
            .AddSingleton(certificates)
            .AddTeamsAppPackage(configuration)
            .AddMicrosoftHttp()
            .AddBotOptions(configuration)
            .AddSingleton<BotConnector>();
        collection.AddOptions<MicrosoftOptions>().Bind(configuration.GetSection(MicrosoftOptions.Section));
        collection.AddHttpClient(MicrosoftHttp.ClientName).AddHttpMessageHandler(() => new AnswerRecorder(answers));
        return new BotConnectorHarness(dataFolder, sandbox, collection.BuildValidated(), withApp, withoutApp, answers);
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await Sandbox.DisposeAsync();
        Directory.Delete(dataFolder, recursive: true);
    }
}

/// <summary>Notes the connector's answers as the product's Microsoft client receives them; changes nothing.</summary>
internal sealed class AnswerRecorder(ConcurrentQueue<(string Path, HttpStatusCode Status)> answers) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        var path = request.RequestUri!.AbsolutePath;
        if (path.StartsWith(BotFrameworkSandbox.ServicePath, StringComparison.Ordinal))
        {
            answers.Enqueue((path, response.StatusCode));
        }

        return response;
    }
}
