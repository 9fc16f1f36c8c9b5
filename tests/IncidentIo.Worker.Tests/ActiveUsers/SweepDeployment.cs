using Hangfire;
using Hangfire.States;
using IncidentIo.Domain;
using IncidentIo.Domain.ActiveUsers;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.Setup;
using IncidentIo.Domain.TeamsApp;
using IncidentIo.Sandbox.Hosting;
using IncidentIo.Sandbox.State;
using IncidentIo.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Organization = IncidentIo.Domain.Organizations.Organization;
using SandboxUser = IncidentIo.Sandbox.State.User;
using User = IncidentIo.Domain.Users.User;

namespace IncidentIo.Worker.Tests.ActiveUsers;

/// <summary>
/// Production's shape for the active-user sweep: PostgreSQL, Hangfire on PostgreSQL, Worker
/// processes that run the sweep, and a Portal-side host in this process that queues runs. Contoso
/// has <see cref="Staying"/> people in teams with our app and <see cref="Leaving"/> in none, all
/// active in IncidentIo, so an applied run deactivates exactly the leaving ones.
/// </summary>
public sealed class SweepDeployment : IAsyncDisposable
{
    public const int Staying = 1_000;
    public const int Leaving = 3_000;
    public const int BotTeams = 10;

    private static readonly Guid Contoso = DemoSeed.ContosoTenantId;
    private readonly List<ProductProcess> workers = [];
    private readonly string dataFolder;

    private SweepDeployment(string dataFolder, SandboxHost sandbox, IHost portal, string connectionString, Dictionary<string, string?> workerSettings)
    {
        this.dataFolder = dataFolder;
        Sandbox = sandbox;
        Portal = portal;
        ConnectionString = connectionString;
        WorkerSettings = workerSettings;
    }

    public SandboxHost Sandbox { get; }

    public IHost Portal { get; }

    public string ConnectionString { get; }

    public Dictionary<string, string?> WorkerSettings { get; }

    public Guid OrganizationId { get; private set; }

    /// <summary>Graph requests the Sandbox has answered (tokens aside).</summary>
    public long GraphRequests => Sandbox.Throttling.Admitted.Values.Sum();

    public static async Task<SweepDeployment> StartAsync(string name, TimeSpan runLease)
    {
        var dataFolder = Directory.CreateTempSubdirectory($"incidentio-{name}-").FullName;
        var certificates = LocalCertificates.LoadOrCreate(new DataFolder(dataFolder));
        var sandbox = await SandboxHost.StartAsync(new SandboxOptions { ServerCertificate = certificates.Server });
        sandbox.RegisterApp(new AppRegistration
        {
            ClientId = SandboxDefaults.MainAppClientId,
            DisplayName = "IncidentIo",
            ClientSecrets = [SandboxDefaults.MainAppSecret],
            ApplicationPermissions = [.. GlobalPermissions.Names],
        });
        sandbox.State.GrantAdminConsent(Contoso, SandboxDefaults.MainAppClientId, GlobalPermissions.Names, []);
        var teamsApp = new TeamsAppOptions();
        var app = sandbox.PublishTeamsApp(Contoso, teamsApp.AppId, "IncidentIo", "1.0.0", botId: teamsApp.BotId, azureAdAppId: SandboxDefaults.MainAppClientId);

        var people = Enumerable.Range(1, Staying + Leaving)
            .Select(i => new SandboxUser(Guid.NewGuid(), Contoso, $"person{i}@contoso.example", $"Person {i}"))
            .ToList();
        sandbox.State.AddUsers(people);
        foreach (var (chunk, t) in people.Take(Staying).Chunk(Staying / BotTeams).Select((c, t) => (c, t)))
        {
            var team = sandbox.State.Teams.CreateTeam(Contoso, $"Bot team {t + 1}", null, chunk.Select((p, i) => (p.Id, i == 0)));
            sandbox.State.Teams.InstallInTeam(Contoso, team.Id, app.Id);
        }

        var connectionString = await (await PostgresCluster.GetAsync()).CreateDatabaseAsync(name);
        var settings = new Dictionary<string, string?>
        {
            ["Database__Provider"] = "Postgres",
            ["ConnectionStrings__IncidentIo"] = connectionString,
            ["Jobs__Mode"] = "Distributed",
            ["Jobs__WorkerCount"] = "2",
            ["Microsoft__SandboxOrigin"] = sandbox.Origin,
            ["Microsoft__SandboxAuthorityCertificatePath"] = certificates.AuthorityPemPath,
            // This tenant is about a mass removal: the quarantine is tested elsewhere.
            ["ActiveUsers__QuarantineShare"] = "1",
            ["ActiveUsers__QuarantineCount"] = "100000",
            ["ActiveUsers__RunLease"] = runLease.ToString("c"),
        };

        var builder = Host.CreateApplicationBuilder();
        foreach (var (key, value) in settings)
        {
            builder.Configuration[key.Replace("__", ":", StringComparison.Ordinal)] = value;
        }

        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddIncidentIoDomain("portal", runJobServer: false);
        var portal = builder.Build();
        var deployment = new SweepDeployment(dataFolder, sandbox, portal, connectionString, settings);
        await portal.Services.PrepareIncidentIoAsync();
        await deployment.SeedAsync(people);
        return deployment;
    }

    private async Task SeedAsync(IReadOnlyList<SandboxUser> people)
    {
        var organization = new Organization
        {
            Name = "Contoso", MicrosoftTenantId = Contoso, SetupStage = SetupStage.TeamsAppInstalled, GlobalPermissionsGrantedAt = DateTimeOffset.UtcNow,
        };
        await using var db = await DbAsync();
        db.Organizations.Add(organization);
        db.Users.AddRange(people.Select(p => new User
        {
            OrganizationId = organization.Id, MicrosoftObjectId = p.Id, DisplayName = p.DisplayName, UserPrincipalName = p.UserPrincipalName,
        }));
        await db.SaveChangesAsync();
        OrganizationId = organization.Id;
    }

    public async Task<ProductProcess> StartWorkerAsync()
    {
        var worker = ProductProcess.Start("IncidentIo.Worker", new Dictionary<string, string?>(WorkerSettings) { ["Urls"] = $"http://127.0.0.1:{FreePort.Next()}" });
        workers.Add(worker);
        await worker.WaitForOutputAsync("IncidentIo worker is running", TimeSpan.FromSeconds(60));
        return worker;
    }

    /// <summary>SIGKILL: the worker renews nothing, releases nothing, commits nothing.</summary>
    public async Task KillAsync(ProductProcess worker)
    {
        workers.Remove(worker);
        await worker.DisposeAsync();
    }

    /// <summary>"Run now", as the support console queues it.</summary>
    public string QueueRun() =>
        Portal.Services.GetRequiredService<IBackgroundJobClient>().Enqueue<ActiveUserSweepJobs>(j => j.RunAsync(OrganizationId, "run-now", false, CancellationToken.None));

    public async Task WaitForJobAsync(string jobId, TimeSpan timeout)
    {
        var storage = Portal.Services.GetRequiredService<JobStorage>();
        var giveUp = DateTime.UtcNow + timeout;
        while (true)
        {
            using (var connection = storage.GetConnection())
            {
                var state = connection.GetStateData(jobId)?.Name;
                if (state == SucceededState.StateName)
                {
                    return;
                }

                if (state == FailedState.StateName || DateTime.UtcNow > giveUp)
                {
                    throw new InvalidOperationException($"Job {jobId} is {state ?? "unknown"}.\n{string.Join('\n', workers.Select(w => w.Output))}");
                }
            }

            await Task.Delay(100);
        }
    }

    public Task<IncidentIoDbContext> DbAsync() => Portal.Services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>().CreateDbContextAsync();

    /// <summary>Active users, sweep audit entries and runs: what a sweep's transaction changes.</summary>
    public async Task<(int Active, int Audits, List<SweepRun> Runs)> StateAsync()
    {
        await using var db = await DbAsync();
        return (await db.Users.CountAsync(u => u.IsActive),
            await db.AuditLog.CountAsync(a => a.Actor == ActiveUserSweep.Actor),
            await db.SweepRuns.AsNoTracking().OrderBy(r => r.StartedAt).ToListAsync());
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in workers)
        {
            await worker.DisposeAsync();
        }

        Portal.Dispose();
        await Sandbox.DisposeAsync();
        try
        {
            Directory.Delete(dataFolder, recursive: true);
        }
        catch (IOException)
        {
            // A killed worker may still hold a file for a moment: the temp folder is cleaned up later.
        }
    }
}
