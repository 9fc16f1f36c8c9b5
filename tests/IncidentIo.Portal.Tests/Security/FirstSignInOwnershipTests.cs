using System.Security.Claims;
using IncidentIo.Domain.Users;
using IncidentIo.Portal.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace IncidentIo.Portal.Tests.Security;

/// <summary>Attack: sign in first (or again) to own the organisation without being a Microsoft admin.</summary>
public sealed class FirstSignInOwnershipTests(SupportWorld world) : IClassFixture<SupportWorld>
{
    [Fact]
    public async Task Signing_in_first_does_not_own_the_organisation_a_microsoft_admin_signing_in_does()
    {
        var tenant = Guid.NewGuid();
        var uma = SupportWorld.Person(tenant, "Uma User", "user@first.example");
        // A role that is no admin role, and a forged-looking value: neither proves anything.
        var ulf = SupportWorld.Person(tenant, "Ulf User", "ulf@first.example",
            new Claim("wids", "b79fbf4d-3ef9-4689-8143-76b194e85509"), new Claim("wids", "not-a-role"));

        var organization = (await world.Access.OpenAsync(uma)).OrganizationId!.Value;
        await world.Access.OpenAsync(uma);
        await world.Access.OpenAsync(ulf);

        Assert.Equal(0, await OwnersAsync(organization));
        Assert.All(await RolesAsync(organization), role => Assert.Equal(UserRole.Viewer, role));
        Assert.Equal(0, await AuditsAsync(organization, "organization.owner-claimed"));

        var adele = SupportWorld.MicrosoftAdmin(tenant, "Adele Admin", "admin@first.example");
        await world.Access.OpenAsync(adele);

        Assert.Equal(1, await OwnersAsync(organization));
        Assert.Equal(1, await AuditsAsync(organization, "organization.owner-claimed"));
    }

    [Fact]
    public async Task A_privileged_role_administrator_also_proves_ownership_but_only_of_an_organisation_nobody_owns()
    {
        var tenant = Guid.NewGuid();
        var pra = SupportWorld.Person(tenant, "Pia Privileged", "pia@pra.example", new Claim("wids", MicrosoftAdminRoles.PrivilegedRoleAdministrator));
        var organization = (await world.Access.OpenAsync(pra)).OrganizationId!.Value;
        Assert.Equal(1, await OwnersAsync(organization));

        var secondAdmin = SupportWorld.MicrosoftAdmin(tenant, "Gus Global", "gus@pra.example");
        await world.Access.OpenAsync(secondAdmin);

        Assert.Equal(1, await OwnersAsync(organization));
        await using var db = world.NewContext();
        var gus = await db.Users.SingleAsync(u => u.OrganizationId == organization && u.UserPrincipalName == "gus@pra.example");
        Assert.Equal(UserRole.Viewer, gus.Role);
        Assert.True(gus.MicrosoftAdminAtLastSignIn);
    }

    [Fact]
    public async Task A_microsoft_admin_does_not_take_over_an_organisation_whose_owner_was_deactivated()
    {
        var tenant = Guid.NewGuid();
        var organization = (await world.Access.OpenAsync(SupportWorld.MicrosoftAdmin(tenant, "Olga Owner", "olga@kept.example"))).OrganizationId!.Value;
        await using (var db = world.NewContext())
        {
            (await db.Users.SingleAsync(u => u.OrganizationId == organization)).Deactivate("test", DateTimeOffset.UtcNow);
            await db.SaveChangesAsync();
        }

        await world.Access.OpenAsync(SupportWorld.MicrosoftAdmin(tenant, "Nils New", "nils@kept.example"));

        // Recovery is for our staff to decide, not for whoever signs in next.
        Assert.Equal(0, await OwnersAsync(organization, activeOnly: true));
        Assert.Equal(1, await AuditsAsync(organization, "organization.owner-claimed")); // Olga's own, at the start
    }

    private async Task<int> OwnersAsync(Guid organization, bool activeOnly = false)
    {
        await using var db = world.NewContext();
        return await db.Users.CountAsync(u => u.OrganizationId == organization && u.Role == UserRole.Owner && (!activeOnly || u.IsActive));
    }

    private async Task<List<UserRole>> RolesAsync(Guid organization)
    {
        await using var db = world.NewContext();
        return await db.Users.Where(u => u.OrganizationId == organization).Select(u => u.Role).ToListAsync();
    }

    private async Task<int> AuditsAsync(Guid organization, string action)
    {
        await using var db = world.NewContext();
        return await db.AuditLog.CountAsync(a => a.OrganizationId == organization && a.Action == action);
    }
}
