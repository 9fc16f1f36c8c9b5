using IncidentIo.Domain.ActiveUsers;
using IncidentIo.Domain.Bot;
using IncidentIo.Domain.Roles;
using IncidentIo.Domain.Users;
using IncidentIo.Portal.Tests.People;
using IncidentIo.Portal.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace IncidentIo.Portal.Tests.Security;

/// <summary>Attack (or accident): leave the organisation without an active Owner.</summary>
public sealed class LastOwnerRemovalTests(SupportWorld world) : IClassFixture<SupportWorld>
{
    [Fact]
    public async Task The_last_owner_cannot_demote_themself_and_nothing_changes()
    {
        var organization = await RolesOrganization.CreateAsync(world);
        var before = await organization.StateAsync();

        foreach (var role in new[] { UserRole.Admin, UserRole.Responder, UserRole.Viewer })
        {
            var result = await organization.Roles.ChangeRoleAsync(organization.Id, organization.Owner, organization.Owner, role);
            Assert.Contains("last active Owner", result.Error);
        }

        Assert.Equal(before, await organization.StateAsync());
    }

    [Fact]
    public async Task Two_owners_demoting_each_other_at_once_leave_one()
    {
        var organization = await RolesOrganization.CreateAsync(world);
        Assert.True((await organization.Roles.ChangeRoleAsync(organization.Id, organization.Owner, organization.Admin, UserRole.Owner)).Succeeded);

        var results = await Task.WhenAll(
            organization.Roles.ChangeRoleAsync(organization.Id, organization.Owner, organization.Admin, UserRole.Admin),
            organization.Roles.ChangeRoleAsync(organization.Id, organization.Admin, organization.Owner, UserRole.Admin));

        Assert.Equal(1, results.Count(r => r.Succeeded));
        await using var db = world.NewContext();
        Assert.Equal(1, await Ownership.ActiveOwners(db, organization.Id).CountAsync());
    }

    [Fact]
    public async Task A_member_removed_event_keeps_the_last_owner_active_and_says_why()
    {
        var organization = await RolesOrganization.CreateAsync(world);
        var team = new BotTeam
        {
            OrganizationId = organization.Id,
            TeamThreadId = $"19:{Guid.NewGuid():N}@thread.tacv2",
            Name = "Operations",
            ServiceUrl = "https://smba.trafficmanager.net/emea/",
            InstalledAt = DateTimeOffset.UtcNow,
            UpdatedAt = DateTimeOffset.UtcNow,
        };
        await using (var db = world.NewContext())
        {
            db.BotTeams.Add(team);
            await db.SaveChangesAsync();
        }

        await using (var db = world.NewContext())
        {
            var plan = new RemovalPlan(team, [organization.Owner, organization.Viewer], new Dictionary<Guid, Guid>());
            await TeamMembershipChanges.ApplyRemovalsAsync(db, plan, DateTimeOffset.UtcNow, CancellationToken.None);
            await db.SaveChangesAsync();
        }

        Assert.Equal((UserRole.Owner, (UserRole?)null, true), await organization.RoleOfAsync(organization.Owner));
        Assert.False((await organization.RoleOfAsync(organization.Viewer)).Active);
        Assert.Equal(1, await organization.AuditsAsync("user.kept-as-last-owner"));
        var page = await organization.Roles.LoadAsync(organization.Id, organization.Owner);
        Assert.Contains("Add them to a team where IncidentIo is installed", page!.KeptOwner!.Details);
    }

    [Fact]
    public async Task With_another_active_owner_a_removed_owner_is_deactivated_as_anyone()
    {
        var organization = await RolesOrganization.CreateAsync(world);
        Assert.True((await organization.Roles.ChangeRoleAsync(organization.Id, organization.Owner, organization.Admin, UserRole.Owner)).Succeeded);
        await using var db = world.NewContext();

        Assert.Null(await LastOwnerGuard.OwnerToKeepAsync(db, organization.Id, [organization.Owner], CancellationToken.None));
        Assert.Equal(organization.Owner, (await LastOwnerGuard.OwnerToKeepAsync(db, organization.Id, [organization.Owner, organization.Admin], CancellationToken.None))!.Id);
    }
}
