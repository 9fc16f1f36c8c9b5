using IncidentIo.Domain.Announcements;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Incidents;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.Setup;
using IncidentIo.Domain.Users;
using IncidentIo.Sandbox.State;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

using User = IncidentIo.Domain.Users.User;

namespace IncidentIo.Domain.Tests.Announcements;

/// <summary>
/// Each plan card line that is not true of every plan is gated in the service that does it, with a
/// refusal naming the plan that includes it and where to change plan; changing plan is for the
/// organisation's active admins only, audited, and refused when the organisation has more than the plan allows.
/// </summary>
public sealed class PlanGateTests : IAsyncLifetime
{
    private AnnouncementHarness harness = null!;
    private User admin = null!;
    private User uma = null!;

    public async Task InitializeAsync()
    {
        harness = await AnnouncementHarness.StartAsync();
        admin = await harness.UserAsync(DemoSeed.AdminId);
        uma = await harness.UserAsync(DemoSeed.UserId);
        await using var db = await harness.DbAsync();
        await db.Users.Where(u => u.Id == uma.Id).ExecuteUpdateAsync(s => s.SetProperty(u => u.Role, UserRole.Responder));
    }

    public async Task DisposeAsync() => await harness.DisposeAsync();

    private PlanSettings Plans => new(harness.Services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>(), TimeProvider.System);

    private async Task OnPlanAsync(string code)
    {
        await using var db = await harness.DbAsync();
        await db.Organizations.Where(o => o.Id == harness.OrganizationId).ExecuteUpdateAsync(s => s.SetProperty(o => o.PlanCode, code));
    }

    private async Task<(int Rules, int Incidents, string? Plan, int PlanAudits)> CountAsync()
    {
        await using var db = await harness.DbAsync();
        return (await db.AnnouncementRules.CountAsync(r => r.OrganizationId == harness.OrganizationId),
            await db.Set<Incident>().CountAsync(i => i.OrganizationId == harness.OrganizationId),
            await db.Organizations.Where(o => o.Id == harness.OrganizationId).Select(o => o.PlanCode).SingleAsync(),
            await db.AuditLog.CountAsync(a => a.OrganizationId == harness.OrganizationId && a.Action == "plan.changed"));
    }

    [Fact]
    public async Task Basic_has_one_announcement_rule_a_second_is_refused_naming_the_team_plan_and_a_downgrade_with_more_rules_is_refused()
    {
        await OnPlanAsync("basic");
        await harness.AddRuleAsync(admin.Id, f => f.Name = "First");

        var second = await harness.Settings.SaveAsync(harness.OrganizationId, admin.Id, null, new AnnouncementRuleForm { Name = "Second", BotTeamId = harness.BotTeam.Id });

        Assert.False(second.Succeeded);
        Assert.Contains("Team plan", second.Errors[""], StringComparison.Ordinal);
        Assert.Contains(Plan.SettingsPath, second.Errors[""], StringComparison.Ordinal);
        Assert.Equal(1, (await CountAsync()).Rules);

        Assert.Null(await Plans.ChangeAsync(harness.OrganizationId, admin.Id, "team"));
        await harness.AddRuleAsync(admin.Id, f => f.Name = "Second");
        var downgrade = await Plans.ChangeAsync(harness.OrganizationId, admin.Id, "basic");

        Assert.Contains("delete rules", downgrade, StringComparison.Ordinal);
        Assert.Equal((2, 0, "team", 1), await CountAsync());
    }

    [Fact]
    public async Task Private_incidents_are_refused_below_pro_at_their_field_and_nothing_is_saved_or_queued()
    {
        await OnPlanAsync("team");
        var form = new DeclareIncident { Name = "Payroll leak", LeadUserId = admin.Id, IsPrivate = true };

        var refused = await harness.Incidents.DeclareAsync(harness.OrganizationId, admin.Id, form);

        Assert.False(refused.Succeeded);
        Assert.Contains("Pro plan", refused.Errors[nameof(DeclareIncident.IsPrivate)], StringComparison.Ordinal);
        Assert.Contains(Plan.SettingsPath, refused.Errors[nameof(DeclareIncident.IsPrivate)], StringComparison.Ordinal);
        Assert.Equal(0, (await CountAsync()).Incidents);
        Assert.Empty(harness.QueuedUpdates());

        await OnPlanAsync("pro");
        Assert.True((await harness.Incidents.DeclareAsync(harness.OrganizationId, admin.Id, form)).Succeeded);
    }

    [Fact]
    public async Task On_basic_the_lead_gets_no_message_and_the_declare_result_says_where_it_is_announced_and_that()
    {
        await OnPlanAsync("basic");
        await harness.AddRuleAsync(admin.Id, f => f.Name = "All");

        var basic = await harness.Incidents.DeclareAsync(harness.OrganizationId, admin.Id, new DeclareIncident { Name = "Basic", LeadUserId = uma.Id });
        await harness.Jobs.CreateDeliveriesAsync(Assert.Single(harness.QueuedUpdates()), CancellationToken.None);

        Assert.Equal(["Incidents › General"], basic.AnnouncedIn);
        Assert.False(basic.LeadMessaged);
        Assert.Equal([DeliveryKind.ChannelCard], (await harness.DeliveriesAsync(basic.Incident!.Id)).Select(d => d.Kind));

        await OnPlanAsync("team");
        var team = await harness.Incidents.DeclareAsync(harness.OrganizationId, admin.Id, new DeclareIncident { Name = "Team", LeadUserId = uma.Id });
        await harness.Jobs.CreateDeliveriesAsync(Assert.Single(harness.QueuedUpdates()), CancellationToken.None);

        Assert.True(team.LeadMessaged);
        Assert.Contains(DeliveryKind.LeadMessage, (await harness.DeliveriesAsync(team.Incident!.Id)).Select(d => d.Kind));
    }

    [Fact]
    public async Task Only_an_active_admin_of_the_organisation_changes_plan_and_each_change_is_audited()
    {
        await OnPlanAsync("basic");
        Guid otherAdmin;
        Guid deactivatedAdmin;
        await using (var db = await harness.DbAsync())
        {
            var other = new Organization { Name = "Fabrikam", MicrosoftTenantId = Guid.NewGuid(), CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow };
            var stranger = new User { OrganizationId = other.Id, MicrosoftObjectId = Guid.NewGuid(), DisplayName = "Fabrikam admin", Role = UserRole.Owner, CreatedAt = DateTimeOffset.UtcNow };
            var gone = new User { OrganizationId = harness.OrganizationId, MicrosoftObjectId = Guid.NewGuid(), DisplayName = "Former admin", Role = UserRole.Admin, CreatedAt = DateTimeOffset.UtcNow };
            gone.Deactivate("Not a member of Incidents.", DateTimeOffset.UtcNow);
            db.AddRange(other, stranger, gone);
            await db.SaveChangesAsync();
            (otherAdmin, deactivatedAdmin) = (stranger.Id, gone.Id);
        }

        foreach (var attacker in new[] { uma.Id, otherAdmin, deactivatedAdmin, Guid.NewGuid() })
        {
            Assert.Equal(PlanSettings.NotAllowed, await Plans.ChangeAsync(harness.OrganizationId, attacker, "enterprise"));
        }

        Assert.Equal((0, 0, "basic", 0), await CountAsync());
        Assert.False((await Plans.LoadAsync(harness.OrganizationId, uma.Id))!.CanChange);
        Assert.Null(await Plans.LoadAsync(harness.OrganizationId, otherAdmin));
        Assert.Equal("Choose one of the plans shown.", await Plans.ChangeAsync(harness.OrganizationId, admin.Id, "platinum"));

        Assert.Null(await Plans.ChangeAsync(harness.OrganizationId, admin.Id, "pro"));

        Assert.Equal((0, 0, "pro", 1), await CountAsync());
        await using var check = await harness.DbAsync();
        var audit = await check.AuditLog.SingleAsync(a => a.OrganizationId == harness.OrganizationId && a.Action == "plan.changed");
        Assert.Equal("Basic → Pro.", audit.Details);
        Assert.Equal(IncidentIo.Domain.Audit.AuditLogEntry.UserActor(admin.UserPrincipalName, admin.MicrosoftObjectId), audit.Actor);
    }
}
