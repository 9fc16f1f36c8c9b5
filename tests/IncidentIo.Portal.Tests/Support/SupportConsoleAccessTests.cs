using System.Security.Claims;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.Reachability;
using IncidentIo.Domain.Users;
using IncidentIo.Portal.Support;
using Microsoft.EntityFrameworkCore;

namespace IncidentIo.Portal.Tests.Support;

/// <summary>
/// Who may see and do what in the support console, at the layer every page goes through: an admin
/// only ever reaches their own organisation (whatever organisation or person id they send), a
/// non-admin reaches nothing, staff reach everyone and are audited as staff.
/// </summary>
public sealed class SupportConsoleAccessTests(SupportWorld world) : IClassFixture<SupportWorld>
{
    private SupportConsole Console => world.Console;

    [Fact]
    public async Task An_admin_sees_their_own_organisation()
    {
        var page = await Console.ListAsync(world.ContosoAdmin, world.Contoso, new ReachabilityQuery());

        Assert.Contains(page.Items, i => i.UserId == world.Blocked);
        Assert.DoesNotContain(page.Items, i => i.UserId == world.FabrikamSecret);
        Assert.NotNull(await Console.FindAsync(world.ContosoAdmin, world.Blocked));
        Assert.Equal([world.Contoso], (await Console.OrganizationsAsync(world.ContosoAdmin, "fabrikam")).Select(o => o.Id));
    }

    [Fact]
    public async Task An_admin_cannot_list_count_or_act_on_another_organisation_by_its_id()
    {
        var admin = world.ContosoAdmin;

        await Assert.ThrowsAsync<SupportAccessDeniedException>(() => Console.ListAsync(admin, world.Fabrikam, new ReachabilityQuery()));
        await Assert.ThrowsAsync<SupportAccessDeniedException>(() => Console.CountsAsync(admin, world.Fabrikam));
        await Assert.ThrowsAsync<SupportAccessDeniedException>(() => Console.OrganizationAsync(admin, world.Fabrikam));
        await Assert.ThrowsAsync<SupportAccessDeniedException>(() => Console.ReachablePeersAsync(admin, world.Fabrikam, world.FabrikamSecret));
        await Assert.ThrowsAsync<SupportAccessDeniedException>(() => Console.FindInOrganizationAsync(admin, world.Fabrikam, world.FabrikamSecret));
        await Assert.ThrowsAsync<SupportAccessDeniedException>(() => Console.RetryInstallAsync(admin, world.Fabrikam, world.FabrikamSecret));
        await Assert.ThrowsAsync<SupportAccessDeniedException>(() => Console.VerifyNowAsync(admin, world.Fabrikam, world.FabrikamSecret));
        await Assert.ThrowsAsync<SupportAccessDeniedException>(() => Console.InstallForEveryoneAsync(admin, world.Fabrikam));
        await AssertContosoAdminNeverActedOnAsync(world.FabrikamSecret);
    }

    [Fact]
    public async Task An_admin_who_guesses_another_organisations_person_id_finds_nobody_and_changes_nothing()
    {
        var admin = world.ContosoAdmin;

        Assert.Null(await Console.FindAsync(admin, world.FabrikamSecret));
        Assert.Null(await Console.VersionAsync(admin, world.FabrikamSecret));
        Assert.Null(await Console.FindAsync(admin, Guid.NewGuid()));
        // Their own organisation's id with someone else's person: refused by the request classes too.
        Assert.False(await Console.RetryInstallAsync(admin, world.Contoso, world.FabrikamSecret));
        Assert.Null(await Console.VerifyNowAsync(admin, world.Contoso, world.FabrikamSecret));
        Assert.Null(await Console.FindInOrganizationAsync(admin, world.Contoso, world.FabrikamSecret));
        await AssertContosoAdminNeverActedOnAsync(world.FabrikamSecret);
    }

    [Fact]
    public async Task A_member_who_is_not_an_admin_gets_nothing_not_even_their_own_organisation()
    {
        var viewer = world.ContosoViewer;

        Assert.Equal(ConsoleRole.NotAllowed, (await world.Access.ResolveAsync(viewer)).Role);
        await Assert.ThrowsAsync<SupportAccessDeniedException>(() => Console.ListAsync(viewer, world.Contoso, new ReachabilityQuery()));
        await Assert.ThrowsAsync<SupportAccessDeniedException>(() => Console.CountsAsync(viewer, world.Contoso));
        await Assert.ThrowsAsync<SupportAccessDeniedException>(() => Console.FindAsync(viewer, world.Blocked));
        await Assert.ThrowsAsync<SupportAccessDeniedException>(() => Console.OrganizationsAsync(viewer, null));
        await Assert.ThrowsAsync<SupportAccessDeniedException>(() => Console.RetryInstallAsync(viewer, world.Contoso, world.Blocked));
        await Assert.ThrowsAsync<SupportAccessDeniedException>(() => Console.VerifyNowAsync(viewer, world.Contoso, world.Blocked));
        await Assert.ThrowsAsync<SupportAccessDeniedException>(() => Console.InstallForEveryoneAsync(viewer, world.Contoso));
    }

    [Fact]
    public async Task Nobody_signed_in_and_strangers_get_nothing()
    {
        var anonymous = new ClaimsPrincipal(new ClaimsIdentity());
        var stranger = SupportWorld.Person(Guid.NewGuid(), "Sid Stranger", "sid@elsewhere.example");

        await Assert.ThrowsAsync<SupportAccessDeniedException>(() => Console.ListAsync(anonymous, world.Contoso, new ReachabilityQuery()));
        await Assert.ThrowsAsync<SupportAccessDeniedException>(() => Console.FindAsync(stranger, world.Blocked));
        await Assert.ThrowsAsync<SupportAccessDeniedException>(() => Console.RetryInstallAsync(stranger, world.Contoso, world.Blocked));
    }

    [Fact]
    public async Task An_admin_whose_role_is_taken_away_is_refused_at_once_without_signing_in_again()
    {
        var admin = SupportWorld.MicrosoftAdmin(Guid.NewGuid(), "Dora Demoted", "dora@demoted.example");
        var organization = (await world.Access.OpenAsync(admin)).OrganizationId!.Value;
        Assert.NotNull(await Console.CountsAsync(admin, organization));

        await using (var db = world.NewContext())
        {
            var dora = await db.Users.SingleAsync(u => u.OrganizationId == organization);
            dora.Role = UserRole.Responder;
            await db.SaveChangesAsync();
        }

        await Assert.ThrowsAsync<SupportAccessDeniedException>(() => Console.CountsAsync(admin, organization));
    }

    [Fact]
    public async Task Staff_see_and_act_on_every_organisation_and_are_audited_as_staff()
    {
        var staff = world.Staff;

        var organizations = await Console.OrganizationsAsync(staff, null);
        Assert.Contains(organizations, o => o.Id == world.Contoso);
        Assert.Contains(organizations, o => o.Id == world.Fabrikam);
        Assert.Contains((await Console.ListAsync(staff, world.Fabrikam, new ReachabilityQuery())).Items, i => i.UserId == world.FabrikamSecret);
        var secret = await Console.FindAsync(staff, world.FabrikamSecret);
        Assert.Equal("secret@fabrikam.example", secret!.User.UserPrincipalName);

        Assert.True(await Console.RetryInstallAsync(staff, world.Fabrikam, world.FabrikamSecret));

        await using var db = world.NewContext();
        var entry = await db.AuditLog.Where(e => e.OrganizationId == world.Fabrikam && e.Action == "app-installation.requested").SingleAsync();
        Assert.Equal("staff:staff@incidentio.example", entry.Actor);
        Assert.Contains("secret@fabrikam.example", entry.Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Staff_signing_in_never_creates_an_organisation_for_our_own_tenant()
    {
        var viewer = await world.Access.OpenAsync(world.Staff);
        await Console.OrganizationsAsync(world.Staff, null);

        Assert.Equal(ConsoleRole.Staff, viewer.Role);
        Assert.Equal("staff:staff@incidentio.example", viewer.Actor);
        await using var db = world.NewContext();
        var staffTenant = new Guid(SandboxDefaults.StaffTenantId);
        Assert.False(await db.Organizations.AnyAsync(o => o.MicrosoftTenantId == staffTenant));
        Assert.False(await db.Users.AnyAsync(u => u.UserPrincipalName == "staff@incidentio.example"));
    }

    [Fact]
    public async Task An_admins_actions_are_audited_with_their_name()
    {
        var person = await world.AddPersonAsync(world.Contoso, "Rita Retry", "rita@contoso.example", InstallationState.Failed, "Microsoft kept failing.");

        Assert.True(await Console.RetryInstallAsync(world.ContosoAdmin, world.Contoso, person.Id));
        await Console.InstallForEveryoneAsync(world.ContosoAdmin, world.Contoso);

        await using var db = world.NewContext();
        var entries = await db.AuditLog.Where(e => e.OrganizationId == world.Contoso && e.Action.StartsWith("app-installation.")).ToListAsync();
        Assert.Contains(entries, e => e.Action == "app-installation.requested" && e.Actor == "user:admin@contoso.example" && e.Details!.Contains("rita@contoso.example", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Action == "app-installation.everyone-requested" && e.Actor == "user:admin@contoso.example");
    }

    private async Task AssertContosoAdminNeverActedOnAsync(Guid userId)
    {
        await using var db = world.NewContext();
        var upn = await db.Users.Where(u => u.Id == userId).Select(u => u.UserPrincipalName!).SingleAsync();
        Assert.False(await db.AuditLog.AnyAsync(e => e.Actor == "user:admin@contoso.example" && e.Details != null && e.Details.Contains(upn)));
        Assert.False(await db.AuditLog.AnyAsync(e => e.Actor == "user:admin@contoso.example" && e.OrganizationId == world.Fabrikam));
    }
}
