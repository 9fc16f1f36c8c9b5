using IncidentIo.Domain.Users;
using IncidentIo.Portal.Tests.People;
using IncidentIo.Portal.Tests.Support;

namespace IncidentIo.Portal.Tests.Security;

/// <summary>Attack: keep using a page opened while one still had the role (a circuit's remembered role).</summary>
public sealed class StaleRoleTests(SupportWorld world) : IClassFixture<SupportWorld>
{
    [Fact]
    public async Task An_admin_demoted_after_opening_the_page_is_refused_at_the_next_change_and_a_responder_acts_at_once()
    {
        var organization = await RolesOrganization.CreateAsync(world);
        Assert.NotNull(await organization.Roles.LoadAsync(organization.Id, organization.Admin));
        Assert.True((await organization.Roles.ChangeRoleAsync(organization.Id, organization.Owner, organization.Admin, UserRole.Viewer)).Succeeded);
        var before = await organization.StateAsync();

        var stale = await organization.Roles.ChangeRoleAsync(organization.Id, organization.Admin, organization.Viewer, UserRole.Admin);

        Assert.False(stale.Succeeded);
        Assert.Equal(before, await organization.StateAsync());

        // The other way round: made Admin, they may act at once, without signing in again.
        Assert.True((await organization.Roles.ChangeRoleAsync(organization.Id, organization.Owner, organization.Responder, UserRole.Admin)).Succeeded);
        Assert.True((await organization.Roles.ChangeRoleAsync(organization.Id, organization.Responder, organization.Viewer, UserRole.Responder)).Succeeded);
    }
}
