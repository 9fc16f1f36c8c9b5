using Bunit;
using IncidentIo.Domain.Setup;
using IncidentIo.Domain.Users;
using IncidentIo.Portal.Setup;
using IncidentIo.Portal.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IncidentIo.Portal.Tests.Setup;

/// <summary>/settings/plan: an organisation's admins change its plan (audited); anyone else sees it and changes nothing.</summary>
public sealed class PlanSettingsPageTests(SupportWorld world) : BunitContext, IClassFixture<SupportWorld>, IAsyncLifetime
{
    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    private async Task<(string? Plan, int Audits)> ContosoAsync()
    {
        await using var db = world.NewContext();
        return (await db.Organizations.Where(o => o.Id == world.Contoso).Select(o => o.PlanCode).SingleAsync(),
            await db.AuditLog.CountAsync(a => a.OrganizationId == world.Contoso && a.Action == "plan.changed"));
    }

    [Fact]
    public async Task An_admin_changes_the_plan_and_it_is_audited()
    {
        world.AddTo(this, world.ContosoAdmin);
        var before = await ContosoAsync();

        var page = Render<PlanSettingsPage>();
        page.WaitForAssertion(() => page.Find("[data-testid=change-to-enterprise]").Click());

        page.WaitForAssertion(() => Assert.Contains("Enterprise", page.Find("[data-testid=plan-message]").TextContent, StringComparison.Ordinal));
        Assert.Equal(("enterprise", before.Audits + 1), await ContosoAsync());
        Assert.NotNull(page.Find("[data-testid=plan-enterprise] [data-testid=current-plan]"));
    }

    [Fact]
    public async Task A_viewer_sees_the_plans_without_changing_them_and_the_service_refuses_them_and_another_organisations_admin()
    {
        world.AddTo(this, world.ContosoViewer);
        var before = await ContosoAsync();

        var page = Render<PlanSettingsPage>();

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=plan-read-only]")));
        Assert.Empty(page.FindAll("[data-testid^=change-to-]"));

        await using var db = world.NewContext();
        var viewer = await db.Users.Where(u => u.OrganizationId == world.Contoso && u.Role == UserRole.Viewer).Select(u => u.Id).FirstAsync();
        var fabrikamAdmin = await db.Users.Where(u => u.OrganizationId == world.Fabrikam && u.Role == UserRole.Owner).Select(u => u.Id).SingleAsync();
        var plans = world.Host.Services.GetRequiredService<PlanSettings>();
        Assert.Equal(PlanSettings.NotAllowed, await plans.ChangeAsync(world.Contoso, viewer, "basic"));
        Assert.Equal(PlanSettings.NotAllowed, await plans.ChangeAsync(world.Contoso, fabrikamAdmin, "basic"));
        Assert.Equal(before, await ContosoAsync());
    }
}
