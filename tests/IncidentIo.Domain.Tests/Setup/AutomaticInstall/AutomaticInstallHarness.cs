using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.Setup;
using IncidentIo.Domain.Setup.AutomaticInstall;
using IncidentIo.Domain.TeamsApp;
using IncidentIo.Domain.Tests.Data;
using IncidentIo.Domain.Tests.TeamsApp;
using IncidentIo.Domain.Users;
using IncidentIo.Sandbox.Hosting;
using IncidentIo.Sandbox.State;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Organization = IncidentIo.Domain.Organizations.Organization;
using User = IncidentIo.Domain.Users.User;

namespace IncidentIo.Domain.Tests.Setup.AutomaticInstall;

/// <summary>
/// The automatic install with the product's real wiring (MSAL client credentials for the setup
/// app, the Graph SDK, the Microsoft HTTP client, EF Core) against a Sandbox whose Contoso tenant
/// creates teams in a fraction of a second.
/// </summary>
public sealed class AutomaticInstallHarness : IAsyncDisposable
{
    public const string SetupClientId = "5a1d7c3e-9b2f-4e61-8c4d-0f3e2a1b9c02";
    public static readonly Guid Contoso = DemoSeed.ContosoTenantId;

    private readonly string dataFolder;

    private AutomaticInstallHarness(string dataFolder, SandboxHost sandbox, TestDatabase database, ServiceProvider services, Guid organizationId, Membership admin)
    {
        this.dataFolder = dataFolder;
        Sandbox = sandbox;
        Database = database;
        Services = services;
        OrganizationId = organizationId;
        Admin = admin;
    }

    public SandboxHost Sandbox { get; }

    public TestDatabase Database { get; }

    public ServiceProvider Services { get; }

    public Guid OrganizationId { get; }

    public Membership Admin { get; }

    public RecordingJobClient Jobs => Services.GetRequiredService<RecordingJobClient>();

    public TeamsAppOptions TeamsApp { get; } = new();

    /// <summary>The resource-specific permissions our rendered manifest asks for, as the catalog's app definition carries them.</summary>
    public static IReadOnlyList<RscEntry> ManifestRsc(TeamsAppOptions teamsApp) =>
        new TeamsAppPackage(Microsoft.Extensions.Options.Options.Create(teamsApp)).RenderManifest()["authorization"]?["permissions"]?["resourceSpecific"]?.AsArray()
            .Select(p => new RscEntry((string)p!["name"]!, (string)p["type"]!)).ToList() ?? [];

    public static async Task<AutomaticInstallHarness> StartAsync(string provider = DatabaseOptions.Sqlite, int maxAttempts = 6, string distribution = CatalogDistributions.Organization)
    {
        var dataFolder = Directory.CreateTempSubdirectory("incidentio-install-").FullName;
        var certificates = LocalCertificates.LoadOrCreate(new DataFolder(dataFolder));
        var sandbox = await SandboxHost.StartAsync(new SandboxOptions { ServerCertificate = certificates.Server });
        sandbox.RegisterApp(new AppRegistration
        {
            ClientId = SetupClientId,
            DisplayName = "IncidentIo setup (temporary)",
            ClientSecrets = ["setup-secret"],
            ApplicationPermissions = [.. SetupPermissions.Names],
        });
        var teamsApp = new TeamsAppOptions();
        CatalogDistributions.Publish(sandbox, Contoso, distribution, teamsApp.AppId, teamsApp.BotId, resourceSpecificPermissions: ManifestRsc(teamsApp));
        sandbox.State.Teams.Configure(Contoso, s => s with
        {
            CreateTeamNotStartedFor = TimeSpan.FromMilliseconds(100),
            CreateTeamInProgressFor = TimeSpan.FromMilliseconds(300),
        });

        var database = await TestDatabase.CreateAsync(provider);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = provider,
            ["ConnectionStrings:IncidentIo"] = database.ConnectionString,
            ["Microsoft:Mode"] = "Sandbox",
            ["Microsoft:SandboxOrigin"] = sandbox.Origin,
            ["SetupApp:Instance"] = $"{sandbox.Origin}/",
            ["SetupApp:ClientId"] = SetupClientId,
            ["SetupApp:ClientSecret"] = "setup-secret",
            ["AutomaticInstall:OperationPollInterval"] = "00:00:00.150",
            ["AutomaticInstall:MaxBackoff"] = "00:00:00.200",
            ["AutomaticInstall:MaxAttempts"] = maxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["AutomaticInstall:CallTimeout"] = "00:00:05",
            ["AutomaticInstall:LeaseDuration"] = "00:00:10",
        }).Build();
        var collection = new ServiceCollection()
            .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton(TimeProvider.System)
            .AddSingleton(new DataFolder(dataFolder))
            .AddSingleton(certificates)
            .AddIncidentIoDatabase(configuration)
            .AddTeamsAppPackage(configuration)
            .AddMicrosoftHttp()
            .AddAutomaticInstall(configuration)
            .AddSingleton<RecordingJobClient>()
            .AddSingleton<IBackgroundJobClient>(sp => sp.GetRequiredService<RecordingJobClient>());
        collection.AddOptions<MicrosoftOptions>().Bind(configuration.GetSection("Microsoft"));
        var services = collection.BuildValidated();
        await services.GetRequiredService<DatabaseMigrator>().MigrateAsync();

        await using var db = await services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>().CreateDbContextAsync();
        var organization = new Organization
        {
            Name = "Contoso",
            MicrosoftTenantId = Contoso,
            SetupStage = SetupStage.GlobalPermissionsGranted,
            GlobalPermissionsGrantedAt = DateTimeOffset.UtcNow,
            SetupPermissionsGrantedAt = DateTimeOffset.UtcNow,
        };
        var admin = new User
        {
            OrganizationId = organization.Id,
            MicrosoftObjectId = DemoSeed.AdminId,
            DisplayName = "Adele Admin",
            UserPrincipalName = "admin@contoso.example",
            Role = UserRole.Owner,
        };
        db.Organizations.Add(organization);
        db.Users.Add(admin);
        await db.SaveChangesAsync();
        return new AutomaticInstallHarness(dataFolder, sandbox, database, services, organization.Id, new Membership(organization, admin, false));
    }

    public void GrantSetupApp(IEnumerable<string>? roles = null) =>
        Sandbox.State.GrantAdminConsent(Contoso, SetupClientId, roles ?? SetupPermissions.Names, []);

    public AutomaticInstalls Installs => Services.GetRequiredService<AutomaticInstalls>();

    public AutomaticInstallJob NewJob() => Services.GetRequiredService<AutomaticInstallJob>();

    /// <summary>Starts (or retries) the install as the admin and runs the job it enqueued, as a worker would.</summary>
    public async Task<Domain.Setup.AutomaticInstall.AutomaticInstall> StartAndRunAsync()
    {
        Assert.Null(await Installs.StartAsync(Admin));
        var id = Jobs.TakeInstallIds().Single();
        await NewJob().RunAsync(id, CancellationToken.None);
        return await LoadAsync();
    }

    public async Task<Domain.Setup.AutomaticInstall.AutomaticInstall> LoadAsync() => (await Installs.LoadAsync(OrganizationId))!;

    public IReadOnlyList<IncidentIo.Sandbox.State.Team> TeamsNamed(string name) =>
        [.. Sandbox.State.Teams.AllTeams(Contoso).Where(t => t.DisplayName == name)];

    public async Task<List<string>> GraphCallsAsync()
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>().CreateDbContextAsync();
        return await db.AuditLog.Where(e => e.Action == "graph.call").OrderBy(e => e.Id).Select(e => e.Details!).ToListAsync();
    }

    public async Task<SetupStage> StageAsync()
    {
        await using var db = await Services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>().CreateDbContextAsync();
        return (await db.Organizations.SingleAsync(o => o.Id == OrganizationId)).SetupStage;
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await Sandbox.DisposeAsync();
        await Database.DisposeAsync();
        Directory.Delete(dataFolder, recursive: true);
    }
}

/// <summary>Keeps enqueued jobs instead of running them: the test runs them, as a worker would.</summary>
public sealed class RecordingJobClient : IBackgroundJobClient
{
    private readonly List<Job> created = [];

    public string Create(Job job, IState state)
    {
        lock (created)
        {
            created.Add(job);
            return created.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    public bool ChangeState(string jobId, IState state, string expectedState) => true;

    /// <summary>The jobs of that method enqueued since the last call to this or <see cref="TakeInstallIds"/>.</summary>
    public List<Job> Taken(string method)
    {
        lock (created)
        {
            var jobs = created.Where(j => j.Method.Name == method).ToList();
            created.Clear();
            return jobs;
        }
    }

    /// <summary>The install ids of the automatic-install runs enqueued since the last call.</summary>
    public List<Guid> TakeInstallIds()
    {
        lock (created)
        {
            var ids = created.Where(j => j.Method.Name == nameof(AutomaticInstallJob.RunAsync)).Select(j => (Guid)j.Args[0]).ToList();
            created.Clear();
            return ids;
        }
    }
}
