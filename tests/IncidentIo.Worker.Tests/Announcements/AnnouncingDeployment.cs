using IncidentIo.Domain.Announcements;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Incidents;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.TeamsApp;
using IncidentIo.Domain.Users;
using IncidentIo.Sandbox.BotFramework;
using IncidentIo.Sandbox.Hosting;
using IncidentIo.Sandbox.State;
using IncidentIo.Worker.Tests.Hosting;
using IncidentIo.Testing;
using Microsoft.Extensions.DependencyInjection;
using BotTeam = IncidentIo.Domain.Bot.BotTeam;
using Organization = IncidentIo.Domain.Organizations.Organization;
using User = IncidentIo.Domain.Users.User;

namespace IncidentIo.Worker.Tests.Announcements;

/// <summary>
/// Production's shape for announcing: PostgreSQL, <c>Jobs:Mode=Distributed</c> (Hangfire on
/// PostgreSQL with long polling), Worker processes that run the jobs, and a Portal-side host in
/// this process that declares through <see cref="IncidentService"/> without a job server. A
/// Sandbox where our bot is registered, our app is in Contoso's catalog and installed for Uma
/// (the leads) and in <c>teams</c> teams, each with a <see cref="BotTeam"/> row and a rule for
/// its General channel.
/// </summary>
public sealed class AnnouncingDeployment : IAsyncDisposable
{
    private readonly WorkerDeployment deployment;

    private AnnouncingDeployment(WorkerDeployment deployment) => this.deployment = deployment;

    public SandboxHost Sandbox => deployment.Sandbox;

    public Guid OrganizationId { get; private set; }

    public Guid AdminId { get; private set; }

    public Guid LeadId { get; private set; }

    /// <summary>The General channels' thread ids, one per team with a rule.</summary>
    public List<string> Channels { get; } = [];

    public ActivityLog Posted => Sandbox.Bot.Activities;

    public static async Task<AnnouncingDeployment> StartAsync(string name, int teams, IReadOnlyDictionary<string, string?> workerSettings)
    {
        var deployment = new AnnouncingDeployment(await WorkerDeployment.StartAsync(name, workerSettings));
        var sandbox = deployment.Sandbox;
        var teamsApp = new TeamsAppOptions();
        sandbox.RegisterApp(new AppRegistration { ClientId = teamsApp.BotId, DisplayName = "IncidentIo Bot", ClientSecrets = [SandboxDefaults.BotSecret] });
        sandbox.Bot.RegisterBot(new IncidentIo.Sandbox.BotFramework.BotRegistration { AppId = teamsApp.BotId, Name = "IncidentIo" });
        var app = sandbox.PublishTeamsApp(DemoSeed.ContosoTenantId, teamsApp.AppId, "IncidentIo", "1.0.0", botId: teamsApp.BotId);
        sandbox.State.Teams.InstallForUser(DemoSeed.ContosoTenantId, DemoSeed.UserId, app.Id, awaitingTeamsClient: false);
        await deployment.SeedAsync(teams, app.Id);
        return deployment;
    }

    private async Task SeedAsync(int teams, Guid appId)
    {
        var contoso = DemoSeed.ContosoTenantId;
        var organization = new Organization
        {
            Name = "Contoso", MicrosoftTenantId = contoso, SetupStage = SetupStage.TeamsAppInstalled,
            GlobalPermissionsGrantedAt = DateTimeOffset.UtcNow, BotServiceUrl = Sandbox.Bot.ServiceUrl,
        };
        var admin = new User { OrganizationId = organization.Id, MicrosoftObjectId = DemoSeed.AdminId, DisplayName = "Adele Admin", UserPrincipalName = "admin@contoso.example", Role = UserRole.Admin };
        var lead = new User { OrganizationId = organization.Id, MicrosoftObjectId = DemoSeed.UserId, DisplayName = "Uma User", UserPrincipalName = "user@contoso.example" };
        var botTeams = new List<BotTeam>();
        await using (var db = await DbAsync())
        {
            db.Organizations.Add(organization);
            db.Users.AddRange(admin, lead);
            for (var i = 1; i <= teams; i++)
            {
                var team = Sandbox.State.Teams.CreateTeam(contoso, $"Incidents {i}", null, [(DemoSeed.AdminId, true), (DemoSeed.UserId, false)]);
                Sandbox.State.Teams.InstallInTeam(contoso, team.Id, appId);
                Channels.Add(team.GeneralChannelId);
                var botTeam = new BotTeam
                {
                    OrganizationId = organization.Id, TeamThreadId = team.GeneralChannelId, GraphTeamId = team.Id, Name = team.DisplayName,
                    ServiceUrl = Sandbox.Bot.ServiceUrl, InstalledAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
                };
                botTeams.Add(botTeam);
                db.BotTeams.Add(botTeam);
            }

            await db.SaveChangesAsync();
        }

        OrganizationId = organization.Id;
        AdminId = admin.Id;
        LeadId = lead.Id;
        var rules = deployment.Portal.Services.GetRequiredService<AnnouncementSettings>();
        foreach (var botTeam in botTeams)
        {
            var saved = await rules.SaveAsync(OrganizationId, AdminId, null, new AnnouncementRuleForm { Name = $"SEV1 to {botTeam.Name}", BotTeamId = botTeam.Id, MinimumSeverity = IncidentSeverity.Sev1 });
            Assert.True(saved.Succeeded, string.Join("; ", saved.Errors.Select(e => $"{e.Key}: {e.Value}")));
        }
    }

    public Task<ProductProcess> StartWorkerAsync() => deployment.StartWorkerAsync();

    public Task KillAsync(ProductProcess worker) => deployment.KillAsync(worker);

    /// <summary>Declares a SEV1 led by Uma, as the tab does.</summary>
    public async Task<Incident> DeclareAsync(string name)
    {
        var form = new DeclareIncident { Name = name, Summary = "Payments fail", Severity = IncidentSeverity.Sev1, LeadUserId = LeadId };
        var result = await deployment.Portal.Services.GetRequiredService<IncidentService>().DeclareAsync(OrganizationId, AdminId, form);
        Assert.True(result.Succeeded, string.Join("; ", result.Errors.Select(e => $"{e.Key}: {e.Value}")));
        return result.Incident!;
    }

    public Task<IncidentIoDbContext> DbAsync() => deployment.DbAsync();

    /// <summary>The incident an activity is about: cards carry the incident's page address.</summary>
    public static bool IsAbout(SentActivity activity, Guid incidentId) =>
        activity.Activity.ToJsonString().Contains($"/incidents/{incidentId}", StringComparison.Ordinal);

    public ValueTask DisposeAsync() => deployment.DisposeAsync();
}
