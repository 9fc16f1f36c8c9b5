using IncidentIo.Domain.Users;
using IncidentIo.Portal.Tests.People;
using IncidentIo.Portal.Tests.Support;

namespace IncidentIo.Portal.Tests.Security;

/// <summary>Attack: an Owner of one organisation changes roles in another (mixing ids).</summary>
public sealed class OtherOrganizationRoleChangeTests(SupportWorld world) : IClassFixture<SupportWorld>
{
    [Fact]
    public async Task Another_organisations_people_and_ids_are_refused_and_nothing_changes()
    {
        var ours = await RolesOrganization.CreateAsync(world);
        var theirs = await RolesOrganization.CreateAsync(world);
        var before = await ours.StateAsync();

        var attempts = new[]
        {
            // Their organisation, our owner as actor.
            await ours.Roles.ChangeRoleAsync(theirs.Id, ours.Owner, theirs.Viewer, UserRole.Admin),
            // Our organisation, their person as target.
            await ours.Roles.ChangeRoleAsync(ours.Id, ours.Owner, theirs.Viewer, UserRole.Admin),
            await ours.Roles.TransferOwnershipAsync(ours.Id, ours.Owner, theirs.Admin),
            await ours.Roles.TransferOwnershipAsync(theirs.Id, ours.Owner, ours.Admin),
            // An organisation that does not exist.
            await ours.Roles.ChangeRoleAsync(Guid.NewGuid(), ours.Owner, ours.Viewer, UserRole.Admin),
        };

        Assert.All(attempts, result => Assert.False(result.Succeeded));
        Assert.Equal(before, await ours.StateAsync());
        Assert.Null(await ours.Roles.LoadAsync(theirs.Id, ours.Owner));
    }
}
