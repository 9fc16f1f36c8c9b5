using Microsoft.Extensions.Hosting;
using System.Net;
using System.Text.Json.Serialization.Metadata;
using IncidentIo.Sandbox.BotFramework;
using IncidentIo.Sandbox.Control;
using IncidentIo.Sandbox.Entra;
using IncidentIo.Sandbox.Faults;
using IncidentIo.Sandbox.Graph;
using IncidentIo.Sandbox.Graph.Teams;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.TeamsClient;
using IncidentIo.Sandbox.Throttling;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IncidentIo.Sandbox.Hosting;

/// <summary>
/// A running Sandbox: Kestrel on loopback https inside the calling process, serving Entra ID at the
/// origin root, Graph at <c>/v1.0</c> and the control API at <c>/sandbox/api</c>.
/// </summary>
public sealed class SandboxHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SandboxRuntime _runtime;

    private SandboxHost(WebApplication app, SandboxRuntime runtime)
    {
        _app = app;
        _runtime = runtime;
    }

    /// <summary>e.g. <c>https://localhost:54321</c>: use as <c>AzureAd:Instance</c> and Graph's host.</summary>
    public string Origin => _runtime.Origin;

    public SandboxState State => _runtime.State;

    public SigningKeys SigningKeys => _runtime.Keys;

    public BotFrameworkSandbox Bot => _app.Services.GetRequiredService<BotFrameworkSandbox>();
    public Throttler Throttling => _app.Services.GetRequiredService<Throttler>();

    public FaultInjector Faults => _app.Services.GetRequiredService<FaultInjector>();

    /// <summary>The Graph requests received so far.</summary>
    public GraphRequestLog GraphRequests => _app.Services.GetRequiredService<GraphRequestLog>();

    /// <summary>Registers (or replaces) an app registration, as the product's configuration describes it.</summary>
    public AppRegistration RegisterApp(AppRegistration app) => State.RegisterApp(app);

    /// <summary>
    /// Publishes a Teams app (manifest id = <paramref name="externalId"/>) to a tenant's catalog, by
    /// <paramref name="distributionMethod"/> (<c>organization</c>, <c>store</c> or <c>sideloaded</c>), with the
    /// definition's <paramref name="resourceSpecificPermissions"/>; see README.md.
    /// </summary>
    public CatalogApp PublishTeamsApp(
        Guid tenantId, string externalId, string displayName, string version, string? botId = null, string? azureAdAppId = null, string? configurationUrl = null,
        string distributionMethod = TeamsAppDistribution.Organization, IReadOnlyList<RscEntry>? resourceSpecificPermissions = null) =>
        State.Teams.PublishApp(tenantId, externalId, displayName, version, botId, azureAdAppId, configurationUrl, distributionMethod, resourceSpecificPermissions);

    public static async Task<SandboxHost> StartAsync(SandboxOptions options, CancellationToken cancellationToken = default)
    {
        if (!options.ServerCertificate.HasPrivateKey)
        {
            throw new ArgumentException("The server certificate needs its private key.", nameof(options));
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(SandboxHost).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Production",
        });
        builder.Host.UseDefaultServiceProvider(o => (o.ValidateScopes, o.ValidateOnBuild) = (true, true));
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Warning);
        // Kestrel warns that it binds the endpoint below instead of a hosting process's own ASPNETCORE_URLS:
        // always true for a Sandbox inside another program, and no concern of whoever reads that program's log.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Server.Kestrel", LogLevel.Error);
        options.ConfigureLogging?.Invoke(builder.Logging);
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.Listen(IPAddress.Loopback, options.Port, listen => listen.UseHttps(options.ServerCertificate)));

        // Hosts with reflection-based JSON switched off (trimmed or file-based apps) would fail every
        // response; the Sandbox always wants it, whatever the calling process chose.
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Add(new DefaultJsonTypeInfoResolver()));

        var state = new SandboxState(options.TimeProvider);
        if (options.SeedDemoData)
        {
            DemoSeed.Apply(state);
        }

        var runtime = new SandboxRuntime(state, new SigningKeys(), new EntraStore(), options.TimeProvider);
        builder.Services.AddSingleton(runtime);
        builder.Services.AddSingleton<TokenFactory>();
        builder.Services.AddSingleton<SignInFlow>();
        builder.Services.AddBotFramework(options.Bot);
        builder.Services.AddGraphPipelineServices(options);

        var app = builder.Build();
        BatchDispatcher.Capture(app);
        app.UseRouting();
        // Created now rather than on first use, so it hears about Teams changes from the start.
        _ = app.Services.GetRequiredService<BotFrameworkSandbox>();
        app.UseGraphPipeline();
        app.MapDiscovery();
        app.MapAuthorize();
        app.MapToken();
        var graph = app.MapGroup(GraphPipeline.Prefix);
        graph.MapUsers();
        graph.MapOrganization();
        graph.MapTeams();
        graph.MapBatch();
        graph.MapFallback(GraphPipeline.Unmatched);
        app.MapUserInfo();
        app.MapControl();
        app.MapTeamsControl();
        app.MapBotFramework();
        app.MapPipelineControl();
        app.MapAdminUi();
        app.MapBotMessagesPage();
        app.MapTeamsClient();

        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        runtime.Origin = $"https://localhost:{new Uri(address).Port}";
        return new SandboxHost(app, runtime);
    }

    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _runtime.Keys.Dispose();
    }
}
