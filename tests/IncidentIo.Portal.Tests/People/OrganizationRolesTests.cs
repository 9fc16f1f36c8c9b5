using IncidentIo.Domain.Users;
using IncidentIo.Portal.Tests.Support;

namespace IncidentIo.Portal.Tests.People;

/// <summary>
/// What each role may do with people's roles, through the service the page calls: every allowed change
/// is made and audited, every refused one names why and changes nothing.
/// </summary>
public sealed class OrganizationRolesTests(SupportWorld world) : IClassFixture<SupportWorld>
{
    public enum Actor
    {
        Owner,
        Admin,
        Responder,
        Viewer,
        DeactivatedAdmin,
    }

    public enum Action
    {
        MakeResponderAnAdmin,
        MakeViewerAResponder,
        MakeAdminAViewer,
        MakeResponderAnOwner,
        DemoteTheOwner,
        TransferOwnershipToTheAdmin,
    }

    // The README's table of who may do what with roles, row by row.
    [Theory]
    [InlineData(Actor.Owner, Action.MakeResponderAnAdmin, true)]
    [InlineData(Actor.Owner, Action.MakeViewerAResponder, true)]
    [InlineData(Actor.Owner, Action.MakeAdminAViewer, true)]
    [InlineData(Actor.Owner, Action.MakeResponderAnOwner, true)]
    [InlineData(Actor.Owner, Action.TransferOwnershipToTheAdmin, true)]
    [InlineData(Actor.Admin, Action.MakeResponderAnAdmin, true)]
    [InlineData(Actor.Admin, Action.MakeViewerAResponder, true)]
    [InlineData(Actor.Admin, Action.MakeAdminAViewer, true)]
    [InlineData(Actor.Admin, Action.MakeResponderAnOwner, false)]
    [InlineData(Actor.Admin, Action.DemoteTheOwner, false)]
    [InlineData(Actor.Admin, Action.TransferOwnershipToTheAdmin, false)]
    [InlineData(Actor.Responder, Action.MakeResponderAnAdmin, false)]
    [InlineData(Actor.Responder, Action.MakeViewerAResponder, false)]
    [InlineData(Actor.Responder, Action.DemoteTheOwner, false)]
    [InlineData(Actor.Viewer, Action.MakeViewerAResponder, false)]
    [InlineData(Actor.Viewer, Action.MakeResponderAnOwner, false)]
    [InlineData(Actor.Viewer, Action.TransferOwnershipToTheAdmin, false)]
    [InlineData(Actor.DeactivatedAdmin, Action.MakeViewerAResponder, false)]
    [InlineData(Actor.DeactivatedAdmin, Action.MakeResponderAnAdmin, false)]
    public async Task Each_role_may_do_what_the_table_says_and_a_refusal_changes_nothing(Actor actor, Action action, bool allowed)
    {
        var organization = await RolesOrganization.CreateAsync(world);
        var actorId = actor switch
        {
            Actor.Owner => organization.Owner,
            Actor.Admin => organization.Admin,
            Actor.Responder => organization.Responder,
            Actor.Viewer => organization.Viewer,
            _ => organization.DeactivatedAdmin,
        };
        var before = await organization.StateAsync();

        var result = action switch
        {
            Action.MakeResponderAnAdmin => await organization.Roles.ChangeRoleAsync(organization.Id, actorId, organization.Responder, UserRole.Admin),
            Action.MakeViewerAResponder => await organization.Roles.ChangeRoleAsync(organization.Id, actorId, organization.Viewer, UserRole.Responder),
            Action.MakeAdminAViewer => await organization.Roles.ChangeRoleAsync(organization.Id, actorId, organization.Admin, UserRole.Viewer),
            Action.MakeResponderAnOwner => await organization.Roles.ChangeRoleAsync(organization.Id, actorId, organization.Responder, UserRole.Owner),
            Action.DemoteTheOwner => await organization.Roles.ChangeRoleAsync(organization.Id, actorId, organization.Owner, UserRole.Admin),
            _ => await organization.Roles.TransferOwnershipAsync(organization.Id, actorId, organization.Admin),
        };

        Assert.Equal(allowed, result.Succeeded);
        if (allowed)
        {
            Assert.NotEqual(before, await organization.StateAsync());
            Assert.Equal(1, await organization.AuditsAsync(action == Action.TransferOwnershipToTheAdmin ? "organization.ownership-transferred" : "user.role-changed"));
        }
        else
        {
            Assert.False(string.IsNullOrWhiteSpace(result.Error));
            Assert.Equal(before, await organization.StateAsync());
        }
    }

    [Fact]
    public async Task Transferring_ownership_makes_the_old_owner_an_admin()
    {
        var organization = await RolesOrganization.CreateAsync(world);

        var result = await organization.Roles.TransferOwnershipAsync(organization.Id, organization.Owner, organization.Responder);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal(UserRole.Owner, (await organization.RoleOfAsync(organization.Responder)).Role);
        Assert.Equal(UserRole.Admin, (await organization.RoleOfAsync(organization.Owner)).Role);
    }

    [Fact]
    public async Task A_second_owner_can_be_demoted_but_the_last_never()
    {
        var organization = await RolesOrganization.CreateAsync(world);
        Assert.True((await organization.Roles.ChangeRoleAsync(organization.Id, organization.Owner, organization.Admin, UserRole.Owner)).Succeeded);

        Assert.True((await organization.Roles.ChangeRoleAsync(organization.Id, organization.Admin, organization.Owner, UserRole.Responder)).Succeeded);
        var before = await organization.StateAsync();
        var last = await organization.Roles.ChangeRoleAsync(organization.Id, organization.Admin, organization.Admin, UserRole.Admin);

        Assert.Contains("last active Owner", last.Error);
        Assert.Equal(before, await organization.StateAsync());
        Assert.Equal(UserRole.Owner, (await organization.RoleOfAsync(organization.Admin)).Role);
    }

    [Fact]
    public async Task A_deactivated_persons_kept_role_is_shown_and_changed_without_activating_them()
    {
        var organization = await RolesOrganization.CreateAsync(world);
        var view = await organization.Roles.LoadAsync(organization.Id, organization.Owner);
        var dee = Assert.Single(view!.People, p => p.Id == organization.DeactivatedAdmin);
        Assert.False(dee.IsActive);
        Assert.Equal(UserRole.Admin, dee.Held);

        var result = await organization.Roles.ChangeRoleAsync(organization.Id, organization.Owner, organization.DeactivatedAdmin, UserRole.Responder);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal((UserRole.Viewer, (UserRole?)UserRole.Responder, false), await organization.RoleOfAsync(organization.DeactivatedAdmin));
    }

    [Fact]
    public async Task Only_admins_and_owners_see_the_people_page()
    {
        var organization = await RolesOrganization.CreateAsync(world);

        Assert.NotNull(await organization.Roles.LoadAsync(organization.Id, organization.Admin));
        Assert.Null(await organization.Roles.LoadAsync(organization.Id, organization.Responder));
        Assert.Null(await organization.Roles.LoadAsync(organization.Id, organization.DeactivatedAdmin));
        Assert.Null(await organization.Roles.LoadAsync(world.Contoso, organization.Owner));
    }
}
