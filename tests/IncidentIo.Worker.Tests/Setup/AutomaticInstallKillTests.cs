using IncidentIo.Domain.Data;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.Setup;
using IncidentIo.Domain.Setup.AutomaticInstall;
using IncidentIo.Domain.TeamsApp;
using IncidentIo.Domain.Users;
using IncidentIo.Sandbox.State;
using IncidentIo.Worker.Tests.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit.Abstractions;
using Organization = IncidentIo.Domain.Organizations.Organization;
using User = IncidentIo.Domain.Users.User;

namespace IncidentIo.Worker.Tests.Setup;

/// <summary>
/// A Worker process killed (SIGKILL) in the middle of an automatic install: another Worker takes
/// the install over from the last saved step once the dead one's lease runs out, and Teams ends
/// up with one "Incidents" team.
/// </summary>
public sealed class AutomaticInstallKillTests(ITestOutputHelper output)
{
    private static readonly Guid Contoso = DemoSeed.ContosoTenantId;

    [Fact]
    public async Task A_worker_killed_while_teams_creates_the_team_is_taken_over_without_a_second_team()
    {
        await using var deployment = await WorkerDeployment.StartAsync("kill", new Dictionary<string, string?>
        {
            ["Jobs__WorkerCount"] = "2",
            ["Jobs__SchedulePollingInterval"] = "00:00:01",
            ["AutomaticInstall__OperationPollInterval"] = "00:00:00.500",
            ["AutomaticInstall__CallTimeout"] = "00:00:03",
            ["AutomaticInstall__LeaseDuration"] = "00:00:04",
            ["AutomaticInstall__ResumeSchedule"] = "*/2 * * * * *",
        });
        var sandbox = deployment.Sandbox;
        sandbox.RegisterApp(new AppRegistration
        {
            ClientId = SandboxDefaults.SetupAppClientId,
            DisplayName = "IncidentIo setup (temporary)",
            ClientSecrets = [SandboxDefaults.SetupAppSecret],
            ApplicationPermissions = [.. SetupPermissions.Names],
        });
        sandbox.State.GrantAdminConsent(Contoso, SandboxDefaults.SetupAppClientId, SetupPermissions.Names, []);
        sandbox.PublishTeamsApp(Contoso, new TeamsAppOptions().AppId, "IncidentIo", "1.0.0");
        // Long enough to kill the first worker while it waits for Teams.
        sandbox.State.Teams.Configure(Contoso, s => s with { CreateTeamNotStartedFor = TimeSpan.FromSeconds(1), CreateTeamInProgressFor = TimeSpan.FromSeconds(5) });

        var first = await deployment.StartWorkerAsync();
        var portal = deployment.Portal;
        var organizationId = await StartInstallAsync(portal);

        await WaitForAsync(portal, organizationId, i => i.Step(AutomaticInstallStepKind.WaitForTeam).State == StepState.Waiting, TimeSpan.FromSeconds(30));
        await deployment.KillAsync(first); // SIGKILL: no lease given back, no state saved
        var killedAt = DateTime.UtcNow;
        var halfway = (await LoadAsync(portal, organizationId))!;
        Assert.Equal(AutomaticInstallStatus.Running, halfway.Status);
        Assert.NotNull(halfway.LeaseOwner);

        await deployment.StartWorkerAsync();
        var done = await WaitForAsync(portal, organizationId, i => i.Status != AutomaticInstallStatus.Running, TimeSpan.FromSeconds(60));
        output.WriteLine($"taken over and finished {(DateTime.UtcNow - killedAt).TotalSeconds:F1} s after the kill");
        output.WriteLine(deployment.WorkersOutput);

        Assert.Equal(AutomaticInstallStatus.Succeeded, done.Status);
        Assert.Single(sandbox.State.Teams.AllTeams(Contoso), t => t.DisplayName == "Incidents");
        await using var db = await deployment.DbAsync();
        Assert.Equal(1, await db.AuditLog.CountAsync(e => e.Action == "graph.call" && e.Details!.StartsWith("POST /v1.0/teams →")));
    }

    private static async Task<Guid> StartInstallAsync(IHost portal)
    {
        var organization = new Organization
        {
            Name = "Contoso",
            MicrosoftTenantId = Contoso,
            SetupStage = SetupStage.GlobalPermissionsGranted,
            GlobalPermissionsGrantedAt = DateTimeOffset.UtcNow,
            SetupPermissionsGrantedAt = DateTimeOffset.UtcNow,
        };
        var admin = new User { OrganizationId = organization.Id, MicrosoftObjectId = DemoSeed.AdminId, DisplayName = "Adele Admin", UserPrincipalName = "admin@contoso.example", Role = UserRole.Owner };
        await using (var db = await portal.Services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>().CreateDbContextAsync())
        {
            db.Organizations.Add(organization);
            db.Users.Add(admin);
            await db.SaveChangesAsync();
        }

        Assert.Null(await portal.Services.GetRequiredService<AutomaticInstalls>().StartAsync(new Membership(organization, admin, false)));
        return organization.Id;
    }

    private static Task<AutomaticInstall?> LoadAsync(IHost portal, Guid organizationId) =>
        portal.Services.GetRequiredService<AutomaticInstalls>().LoadAsync(organizationId);

    private static async Task<AutomaticInstall> WaitForAsync(IHost portal, Guid organizationId, Func<AutomaticInstall, bool> condition, TimeSpan timeout)
    {
        var giveUp = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < giveUp)
        {
            if (await LoadAsync(portal, organizationId) is { } install && condition(install))
            {
                return install;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"The install did not get there within {timeout.TotalSeconds} s: {string.Join(", ", (await LoadAsync(portal, organizationId))?.Steps.Select(s => $"{s.Kind}={s.State} {s.Error}") ?? [])}");
    }
}
