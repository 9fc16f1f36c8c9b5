using System.Security.Claims;
using IncidentIo.Domain.Users;
using IncidentIo.Portal.Support;
using IncidentIo.Portal.Tests.People;
using IncidentIo.Portal.Tests.Support;
using IncidentIo.Sandbox.State;

namespace IncidentIo.Portal.Tests.Security;

/// <summary>
/// Attack: make oneself Owner through staff recovery — as a customer, as someone of our tenant without
/// the staff role or as a guest in it; or, as staff, pick someone who is no Microsoft admin, or recover an
/// organisation that has an Owner.
/// </summary>
public sealed class OwnerRecoveryTests(SupportWorld world) : IClassFixture<SupportWorld>
{
    [Fact]
    public async Task Only_staff_recover_and_only_to_a_microsoft_admin_of_an_organisation_without_an_active_owner()
    {
        var organization = await RolesOrganization.CreateAsync(world);
        var admin = await organization.AddAsync("Mia Microsoft", UserRole.Viewer, microsoftAdmin: true);
        var before = await organization.StateAsync();

        // An organisation with an active Owner needs no recovery.
        Assert.Empty(await organization.Recovery.CandidatesAsync(world.Staff, organization.Id));
        Assert.False((await organization.Recovery.MakeOwnerAsync(world.Staff, organization.Id, admin)).Succeeded);
        Assert.Equal(before, await organization.StateAsync());

        await DeactivateAsync(organization.Owner);
        before = await organization.StateAsync();
        var helpdesk = SupportWorld.Person(DemoSeed.StaffTenantId, "Hal Helpdesk", "helpdesk@incidentio.example");
        var guest = SupportWorld.Person(DemoSeed.StaffTenantId, "Gina Guest", "gina_fabrikam.example#EXT#@incidentio.example", new Claim("roles", "Support.Staff"), new Claim("acct", "1"));
        foreach (var intruder in new[] { organization.OwnerSignIn, world.ContosoAdmin, helpdesk, guest })
        {
            await Assert.ThrowsAsync<SupportAccessDeniedException>(() => organization.Recovery.MakeOwnerAsync(intruder, organization.Id, admin));
            await Assert.ThrowsAsync<SupportAccessDeniedException>(() => organization.Recovery.CandidatesAsync(intruder, organization.Id));
        }

        // Staff, but the person is no Microsoft admin (never showed the role, never granted consent).
        Assert.False((await organization.Recovery.MakeOwnerAsync(world.Staff, organization.Id, organization.Responder)).Succeeded);
        Assert.Equal(before, await organization.StateAsync());

        var candidate = Assert.Single(await organization.Recovery.CandidatesAsync(world.Staff, organization.Id));
        Assert.Equal(admin, candidate.Id);
        var recovered = await organization.Recovery.MakeOwnerAsync(world.Staff, organization.Id, admin);

        Assert.True(recovered.Succeeded, recovered.Error);
        Assert.Equal(UserRole.Owner, (await organization.RoleOfAsync(admin)).Role);
        Assert.Equal(1, await organization.AuditsAsync("organization.owner-recovered"));
        await using var db = world.NewContext();
        Assert.Contains(db.AuditLog, a => a.Action == "organization.owner-recovered" && a.Actor == "staff:staff@incidentio.example");
    }

    private async Task DeactivateAsync(Guid userId)
    {
        await using var db = world.NewContext();
        var user = await db.Users.FindAsync(userId);
        user!.Deactivate("In no team with IncidentIo (test).", DateTimeOffset.UtcNow);
        await db.SaveChangesAsync();
    }
}
