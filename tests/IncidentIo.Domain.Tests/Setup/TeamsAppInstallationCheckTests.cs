using IncidentIo.Domain.Data;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.Setup;
using IncidentIo.Domain.TeamsApp;
using IncidentIo.Domain.Tests.Data;
using IncidentIo.Sandbox.Hosting;
using IncidentIo.Sandbox.State;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Identity.Web;

namespace IncidentIo.Domain.Tests.Setup;

/// <summary>
/// "Check installation" with the product's real wiring (Identity.Web app-only tokens, the Graph
/// SDK, the Microsoft HTTP client) against the Sandbox's Contoso tenant.
/// </summary>
public sealed class TeamsAppInstallationCheckTests : IAsyncLifetime
{
    private const string ClientId = "5a1d7c3e-9b2f-4e61-8c4d-0f3e2a1b9c01";
    private const string Secret = "test-secret";
    private static readonly Guid Contoso = DemoSeed.ContosoTenantId;

    private readonly string dataFolder = Directory.CreateTempSubdirectory("incidentio-check-").FullName;
    private readonly TeamsAppOptions teamsApp = new();
    private TestDatabase database = null!;
    private SandboxHost sandbox = null!;
    private ServiceProvider services = null!;
    private Guid organizationId;

    public async Task InitializeAsync()
    {
        var certificates = LocalCertificates.LoadOrCreate(new DataFolder(dataFolder));
        sandbox = await SandboxHost.StartAsync(new SandboxOptions { ServerCertificate = certificates.Server });
        sandbox.RegisterApp(new AppRegistration
        {
            ClientId = ClientId,
            DisplayName = "IncidentIo",
            ClientSecrets = [Secret],
            ApplicationPermissions = [.. GlobalPermissions.Names],
        });
        sandbox.PublishTeamsApp(Contoso, teamsApp.AppId, "IncidentIo", "1.0.0", botId: teamsApp.BotId, azureAdAppId: ClientId);

        database = await TestDatabase.CreateAsync(DatabaseOptions.Sqlite);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = "Sqlite",
            ["ConnectionStrings:IncidentIo"] = database.ConnectionString,
            ["Microsoft:Mode"] = "Sandbox",
            ["Microsoft:SandboxOrigin"] = sandbox.Origin,
            ["AzureAd:Instance"] = $"{sandbox.Origin}/",
            ["AzureAd:TenantId"] = "organizations",
            ["AzureAd:ClientId"] = ClientId,
            ["AzureAd:ClientSecret"] = Secret,
        }).Build();
        var collection = new ServiceCollection()
            .AddLogging()
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton(TimeProvider.System)
            .AddSingleton(new DataFolder(dataFolder))
            .AddSingleton(certificates)
            .AddIncidentIoDatabase(configuration)
            .AddTeamsAppPackage(configuration)
            .AddMicrosoftHttp()
            .AddGraphClients()
            .AddSingleton<TeamsAppCatalog>()
            .AddSingleton<TeamsAppInstallationCheck>();
        collection.AddOptions<MicrosoftOptions>().Bind(configuration.GetSection("Microsoft"));
        collection.AddAuthentication(OpenIdConnectDefaults.AuthenticationScheme)
            .AddMicrosoftIdentityWebApp(configuration.GetSection("AzureAd"))
            .EnableTokenAcquisitionToCallDownstreamApi()
            .AddInMemoryTokenCaches();
        collection.AddTokenAcquisition(isTokenAcquisitionSingleton: true); // as the Portal registers it
        services = collection.BuildValidated();
        await services.GetRequiredService<DatabaseMigrator>().MigrateAsync();

        await using var db = await services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>().CreateDbContextAsync();
        var organization = new Organization { Name = "Contoso", MicrosoftTenantId = Contoso, SetupStage = SetupStage.GlobalPermissionsGranted };
        db.Organizations.Add(organization);
        await db.SaveChangesAsync();
        organizationId = organization.Id;
    }

    public async Task DisposeAsync()
    {
        await services.DisposeAsync();
        await sandbox.DisposeAsync();
        await database.DisposeAsync();
        Directory.Delete(dataFolder, recursive: true);
    }

    [Fact]
    public async Task An_app_installed_by_hand_is_found_and_setup_moves_on()
    {
        sandbox.State.GrantAdminConsent(Contoso, ClientId, GlobalPermissions.Names, []);
        var catalogId = sandbox.State.Teams.CatalogApps(Contoso).Single(a => a.ManifestId == teamsApp.AppId).Id;
        sandbox.State.Teams.InstallInTeam(Contoso, IncidentIo.Sandbox.State.TeamsSeed.EngineeringTeamId, catalogId);

        var result = await Check();

        Assert.Null(result.Error);
        Assert.Equal(["Engineering"], result.TeamsWithApp);
        Assert.Equal(sandbox.State.Teams.Teams(Contoso).Count, result.TeamsChecked);
        Assert.Equal(SetupStage.TeamsAppInstalled, await StageAsync());
    }

    [Fact]
    public async Task A_team_teams_told_our_bot_about_is_found_without_asking_graph_about_every_team()
    {
        // No Graph permissions at all: the answer must come from what our bot was told.
        await using (var db = await services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>().CreateDbContextAsync())
        {
            db.BotTeams.Add(new IncidentIo.Domain.Bot.BotTeam
            {
                OrganizationId = organizationId, TeamThreadId = "19:ops@thread.tacv2", Name = "Operations",
                ServiceUrl = "https://smba.trafficmanager.net/teams/", InstalledAt = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync();
        }

        var result = await Check();

        Assert.Null(result.Error);
        Assert.Equal(["Operations"], result.TeamsWithApp);
        Assert.Equal(0, result.TeamsChecked);
        Assert.Equal(SetupStage.TeamsAppInstalled, await StageAsync());
    }

    [Fact]
    public async Task Nothing_installed_yet_is_said_and_changes_nothing()
    {
        sandbox.State.GrantAdminConsent(Contoso, ClientId, GlobalPermissions.Names, []);

        var result = await Check();

        Assert.Null(result.Error);
        Assert.Empty(result.TeamsWithApp);
        Assert.True(result.TeamsChecked >= 2);
        Assert.Equal(SetupStage.GlobalPermissionsGranted, await StageAsync());
    }

    [Fact]
    public async Task Without_the_permission_to_read_team_apps_graphs_403_is_reported_with_its_request_id()
    {
        sandbox.State.GrantAdminConsent(Contoso, ClientId, ["Team.ReadBasic.All"], []);

        var result = await Check();

        Assert.NotNull(result.Error);
        Assert.Contains("403", result.Error, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(result.RequestId));
        Assert.Equal(SetupStage.GlobalPermissionsGranted, await StageAsync());
    }

    [Fact]
    public async Task Without_any_consent_the_admin_is_sent_back_to_the_permission_step()
    {
        var result = await Check();

        Assert.Contains("grant the global permissions first", result.Error, StringComparison.Ordinal);
    }

    private Task<InstallationCheckResult> Check() =>
        services.GetRequiredService<TeamsAppInstallationCheck>().CheckAsync(organizationId, "test");

    private async Task<SetupStage> StageAsync()
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>().CreateDbContextAsync();
        return (await db.Organizations.SingleAsync(o => o.Id == organizationId)).SetupStage;
    }
}
