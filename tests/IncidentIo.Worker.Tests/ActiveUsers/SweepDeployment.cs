using Hangfire;
using Hangfire.States;
using IncidentIo.Domain.ActiveUsers;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.Setup;
using IncidentIo.Domain.TeamsApp;
using IncidentIo.Sandbox.Hosting;
using IncidentIo.Sandbox.State;
using IncidentIo.Worker.Tests.Hosting;
using IncidentIo.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Organization = IncidentIo.Domain.Organizations.Organization;
using SandboxUser = IncidentIo.Sandbox.State.User;
using User = IncidentIo.Domain.Users.User;

namespace IncidentIo.Worker.Tests.ActiveUsers;

/// <summary>
/// The active-user sweep in production's shape (<see cref="WorkerDeployment"/>). Contoso
/// has <see cref="Staying"/> people in teams with our app and <see cref="Leaving"/> in none, all
/// active in IncidentIo, so an applied run deactivates exactly the leaving ones.
/// </summary>
public sealed class SweepDeployment : IAsyncDisposable
{
    public const int Staying = 1_000;
    public const int Leaving = 3_000;
    public const int BotTeams = 10;

    private static readonly Guid Contoso = DemoSeed.ContosoTenantId;
    private readonly WorkerDeployment deployment;

    private SweepDeployment(WorkerDeployment deployment) => this.deployment = deployment;

    public SandboxHost Sandbox => deployment.Sandbox;

    public string ConnectionString => deployment.ConnectionString;

    public Guid OrganizationId { get; private set; }

    /// <summary>Graph requests the Sandbox has answered (tokens aside).</summary>
    public long GraphRequests => Sandbox.Throttling.Admitted.Values.Sum();

    public static async Task<SweepDeployment> StartAsync(string name, TimeSpan runLease)
    {
        var deployment = new SweepDeployment(await WorkerDeployment.StartAsync(name, new Dictionary<string, string?>
        {
            ["Jobs__WorkerCount"] = "2",
            // This tenant is about a mass removal: the quarantine is tested elsewhere.
            ["ActiveUsers__QuarantineShare"] = "1",
            ["ActiveUsers__QuarantineCount"] = "100000",
            ["ActiveUsers__RunLease"] = runLease.ToString("c"),
        }));
        var sandbox = deployment.Sandbox;
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

    public Task<ProductProcess> StartWorkerAsync() => deployment.StartWorkerAsync();

    public Task KillAsync(ProductProcess worker) => deployment.KillAsync(worker);

    /// <summary>"Run now", as the support console queues it.</summary>
    public string QueueRun() =>
        deployment.Portal.Services.GetRequiredService<IBackgroundJobClient>().Enqueue<ActiveUserSweepJobs>(j => j.RunAsync(OrganizationId, "run-now", false, CancellationToken.None));

    public async Task WaitForJobAsync(string jobId, TimeSpan timeout)
    {
        var storage = deployment.Portal.Services.GetRequiredService<JobStorage>();
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
                    throw new InvalidOperationException($"Job {jobId} is {state ?? "unknown"}.\n{deployment.WorkersOutput}");
                }
            }

            await Task.Delay(100);
        }
    }

    public Task<IncidentIoDbContext> DbAsync() => deployment.DbAsync();

    /// <summary>Active users, sweep audit entries and runs: what a sweep's transaction changes.</summary>
    public async Task<(int Active, int Audits, List<SweepRun> Runs)> StateAsync()
    {
        await using var db = await DbAsync();
        return (await db.Users.CountAsync(u => u.IsActive),
            await db.AuditLog.CountAsync(a => a.Actor == ActiveUserSweep.Actor),
            await db.SweepRuns.AsNoTracking().OrderBy(r => r.StartedAt).ToListAsync());
    }

    public ValueTask DisposeAsync() => deployment.DisposeAsync();
}
