using IncidentIo.Domain.Users;
using IncidentIo.Portal.Tests.People;
using IncidentIo.Portal.Tests.Support;

namespace IncidentIo.Portal.Tests.Security;

/// <summary>Attack: an Admin makes themself or someone Owner, or changes an Owner.</summary>
public sealed class AdminMakesOwnerTests(SupportWorld world) : IClassFixture<SupportWorld>
{
    [Fact]
    public async Task An_admin_cannot_make_anyone_owner_nor_touch_an_owner_and_nothing_changes()
    {
        var organization = await RolesOrganization.CreateAsync(world);
        var roles = organization.Roles;
        var before = await organization.StateAsync();

        var attempts = new[]
        {
            await roles.ChangeRoleAsync(organization.Id, organization.Admin, organization.Admin, UserRole.Owner),
            await roles.ChangeRoleAsync(organization.Id, organization.Admin, organization.Viewer, UserRole.Owner),
            await roles.ChangeRoleAsync(organization.Id, organization.Admin, organization.Owner, UserRole.Viewer),
            await roles.TransferOwnershipAsync(organization.Id, organization.Admin, organization.Admin),
            await roles.ChangeRoleAsync(organization.Id, organization.Admin, organization.Viewer, (UserRole)42),
        };

        Assert.All(attempts, result => Assert.False(result.Succeeded));
        Assert.Equal(before, await organization.StateAsync());
    }
}
