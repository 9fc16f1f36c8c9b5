using IncidentIo.Domain.ActiveUsers;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.People;
using IncidentIo.Domain.Reachability;
using IncidentIo.Domain.Setup;
using IncidentIo.Domain.Setup.AutomaticInstall;
using IncidentIo.Domain.TeamsApp;
using IncidentIo.Domain.Tests.Data;
using IncidentIo.Domain.Tests.Setup.AutomaticInstall;
using IncidentIo.Domain.Tests.TeamsApp;
using IncidentIo.Sandbox.Hosting;
using IncidentIo.Sandbox.State;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Organization = IncidentIo.Domain.Organizations.Organization;
using User = IncidentIo.Domain.Users.User;

namespace IncidentIo.Domain.Tests.Reachability;

/// <summary>
/// Per-user installs with the product's wiring (MSAL client credentials for our main app, the
/// Graph SDK, the Microsoft HTTP client, EF Core) against a Sandbox where Contoso has granted
/// our global permissions and has our app in its catalog.
/// </summary>
public sealed class ReachabilityHarness : IAsyncDisposable
{
    public const string MainClientId = "5a1d7c3e-9b2f-4e61-8c4d-0f3e2a1b9c01";
    public static readonly Guid Contoso = DemoSeed.ContosoTenantId;

    private readonly string dataFolder;
    private readonly IConfiguration configuration;
    private readonly LocalCertificates certificates;

    private ReachabilityHarness(string dataFolder, IConfiguration configuration, LocalCertificates certificates, SandboxHost sandbox, TestDatabase database, Guid organizationId)
    {
        this.dataFolder = dataFolder;
        this.configuration = configuration;
        this.certificates = certificates;
        Sandbox = sandbox;
        Database = database;
        OrganizationId = organizationId;
        Services = BuildServices();
    }

    public SandboxHost Sandbox { get; }

    public TestDatabase Database { get; }

    /// <summary>One "process": <see cref="RestartAsync"/> gives a new one on the same database.</summary>
    public ServiceProvider Services { get; private set; }

    public Guid OrganizationId { get; }

    public TeamsAppOptions TeamsApp { get; } = new();

    public UserAppInstaller Installer => Services.GetRequiredService<UserAppInstaller>();

    public static async Task<ReachabilityHarness> StartAsync(
        string provider = DatabaseOptions.Sqlite, bool publishApp = true, bool throttle = false, IReadOnlyDictionary<string, string?>? settings = null, int generatedUsers = 0,
        string distribution = CatalogDistributions.Organization)
    {
        var dataFolder = Directory.CreateTempSubdirectory("incidentio-reach-").FullName;
        var certificates = LocalCertificates.LoadOrCreate(new DataFolder(dataFolder));
        var sandbox = await SandboxHost.StartAsync(new SandboxOptions
        {
            ServerCertificate = certificates.Server,
            Throttling = new IncidentIo.Sandbox.Throttling.ThrottlingOptions { Enabled = throttle },
        });
        sandbox.RegisterApp(new AppRegistration { ClientId = MainClientId, DisplayName = "IncidentIo", ClientSecrets = ["main-secret"], ApplicationPermissions = [.. GlobalPermissions.Names] });
        sandbox.State.GrantAdminConsent(Contoso, MainClientId, GlobalPermissions.Names, []);
        if (generatedUsers > 0)
        {
            TenantGenerator.Generate(sandbox.State, Contoso, generatedUsers);
        }

        var teamsApp = new TeamsAppOptions();
        if (publishApp)
        {
            CatalogDistributions.Publish(sandbox, Contoso, distribution, teamsApp.AppId, teamsApp.BotId, MainClientId,
                Setup.AutomaticInstall.AutomaticInstallHarness.ManifestRsc(teamsApp));
        }

        var database = await TestDatabase.CreateAsync(provider);
        var values = new Dictionary<string, string?>
        {
            ["Database:Provider"] = provider,
            ["ConnectionStrings:IncidentIo"] = database.ConnectionString,
            ["Microsoft:Mode"] = "Sandbox",
            ["Microsoft:SandboxOrigin"] = sandbox.Origin,
            ["AzureAd:Instance"] = $"{sandbox.Origin}/",
            ["AzureAd:ClientId"] = MainClientId,
            ["AzureAd:ClientSecret"] = "main-secret",
            ["AppInstallation:FirstBackoff"] = "00:00:00.200",
            ["AppInstallation:CallTimeout"] = "00:00:05",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var organizationId = Guid.NewGuid();
        var harness = new ReachabilityHarness(dataFolder, configuration, certificates, sandbox, database, organizationId);
        await harness.Services.GetRequiredService<DatabaseMigrator>().MigrateAsync();
        await using var db = await harness.DbAsync();
        db.Organizations.Add(new Organization
        {
            Id = organizationId,
            Name = "Contoso",
            MicrosoftTenantId = Contoso,
            SetupStage = SetupStage.TeamsAppInstalled,
            GlobalPermissionsGrantedAt = DateTimeOffset.UtcNow,
        });
        foreach (var user in sandbox.State.Users(Contoso))
        {
            db.Users.Add(new User { OrganizationId = organizationId, MicrosoftObjectId = user.Id, DisplayName = user.DisplayName, UserPrincipalName = user.UserPrincipalName });
        }

        await db.SaveChangesAsync();
        return harness;
    }

    public Task<IncidentIoDbContext> DbAsync() => Services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>().CreateDbContextAsync();

    public async Task<User> UserAsync(string upn)
    {
        await using var db = await DbAsync();
        return await db.Users.SingleAsync(u => u.UserPrincipalName == upn);
    }

    public async Task<List<AppInstallationAttempt>> HistoryAsync(Guid userId)
    {
        await using var db = await DbAsync();
        return await db.AppInstallationAttempts.Where(a => a.UserId == userId).OrderBy(a => a.Id).ToListAsync();
    }

    /// <summary>As if the process stopped and another started: new services, same database and Sandbox.</summary>
    public async Task RestartAsync()
    {
        await Services.DisposeAsync();
        Services = BuildServices();
    }

    /// <summary>Another worker process on the same database and Sandbox.</summary>
    public ServiceProvider BuildServices(Action<IServiceCollection>? extra = null)
    {
        var collection = new ServiceCollection()
            .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .AddSingleton(configuration)
            .AddSingleton(TimeProvider.System)
            .AddSingleton(new DataFolder(dataFolder))
            .AddSingleton(certificates)
            .AddIncidentIoDatabase(configuration)
            .AddTeamsAppPackage(configuration)
            .AddMicrosoftHttp()
            .AddReachability(configuration)
            .AddActiveUserSweep(configuration)
            .AddPeople()
            .AddAutomaticInstall(configuration)
            .AddSingleton<RecordingJobClient>()
            .AddSingleton<Hangfire.IBackgroundJobClient>(sp => sp.GetRequiredService<RecordingJobClient>());
        collection.AddOptions<MicrosoftOptions>().Bind(configuration.GetSection("Microsoft"));
        extra?.Invoke(collection);
        return collection.BuildValidated();
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await Sandbox.DisposeAsync();
        await Database.DisposeAsync();
        Directory.Delete(dataFolder, recursive: true);
    }
}
