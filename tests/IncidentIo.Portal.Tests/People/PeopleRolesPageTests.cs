using Bunit;
using IncidentIo.Domain.Users;
using IncidentIo.Portal.People;
using IncidentIo.Portal.Tests.Support;

namespace IncidentIo.Portal.Tests.People;

/// <summary>/settings/people: what each role is offered, a change made from the page, and who is turned away.</summary>
public sealed class PeopleRolesPageTests(SupportWorld world) : ValidatedBunitContext, IClassFixture<SupportWorld>, IAsyncLifetime
{
    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    [Fact]
    public async Task The_owner_makes_a_viewer_a_responder_from_the_page_and_cannot_demote_themself()
    {
        var organization = await RolesOrganization.CreateAsync(world);
        world.AddTo(this, organization.OwnerSignIn);
        var page = Render<PeopleRolesPage>();
        var vic = $"vic@{organization.TenantId:N}.example";
        var owner = $"owner@{organization.TenantId:N}.example";
        page.WaitForAssertion(() => Assert.Equal("Viewer", page.Find($"[data-testid='role-{vic}']").TextContent.Trim()));

        // The last Owner is offered no way to step down.
        Assert.Empty(page.FindAll($"[data-testid^='make-'][data-testid$='-{owner}']"));
        Assert.Contains("Dee Deactivated", page.Markup);
        Assert.Contains("Deactivated (kept role: Admin)", page.Markup);

        await page.Find($"[data-testid='make-Responder-{vic}']").ClickAsync(new());

        page.WaitForAssertion(() => Assert.Equal("Responder", page.Find($"[data-testid='role-{vic}']").TextContent.Trim()));
        Assert.Equal(UserRole.Responder, (await organization.RoleOfAsync(organization.Viewer)).Role);
        Assert.Equal(1, await organization.AuditsAsync("user.role-changed"));
    }

    [Fact]
    public async Task An_admin_is_offered_no_owner_changes()
    {
        var organization = await RolesOrganization.CreateAsync(world);
        System.Security.Claims.ClaimsPrincipal adminSignIn;
        await using (var db = world.NewContext())
        {
            // The admin signs in as the person already in the organisation (same object id).
            var adam = await db.Users.FindAsync(organization.Admin);
            adminSignIn = SupportWorld.PersonWithObjectId(organization.TenantId, adam!.MicrosoftObjectId, "Adam Admin", adam.UserPrincipalName!);
        }

        world.AddTo(this, adminSignIn);
        var page = Render<PeopleRolesPage>();
        var owner = $"owner@{organization.TenantId:N}.example";
        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid^='make-']")));

        Assert.Empty(page.FindAll("[data-testid^='make-Owner-']"));
        Assert.Empty(page.FindAll($"[data-testid$='-{owner}'][data-testid^='make-']"));
        Assert.Empty(page.FindAll("[data-testid^='transfer-']"));
    }

    [Fact]
    public void A_viewer_is_turned_away()
    {
        world.AddTo(this, world.ContosoViewer);
        var page = Render<PeopleRolesPage>();

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=people-not-allowed]")));
        Assert.Empty(page.FindAll("[data-testid=people-table]"));
    }
}
