using IncidentIo.Domain.Tests.Reachability;
using IncidentIo.Domain.Users;
using IncidentIo.Sandbox.Faults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IncidentIo.Domain.Tests.Users;

/// <summary>The incident-lead picker: people we know, and people only the tenant's directory knows yet.</summary>
public sealed class OrganizationPeopleTests
{
    private static async Task<ReachabilityHarness> StartWithoutUmaAsync()
    {
        var harness = await ReachabilityHarness.StartAsync();
        await using var db = await harness.DbAsync();
        await db.Users.Where(u => u.UserPrincipalName == "user@contoso.example").ExecuteDeleteAsync();
        return harness;
    }

    private static OrganizationPeople People(ReachabilityHarness harness) => harness.Services.GetRequiredService<OrganizationPeople>();

    [Fact]
    public async Task Someone_only_the_directory_knows_is_offered_and_becomes_a_viewer_when_picked()
    {
        await using var harness = await StartWithoutUmaAsync();

        var found = await People(harness).SearchAsync(harness.OrganizationId, "uma");
        var uma = Assert.Single(found, p => p.UserPrincipalName == "user@contoso.example");
        Assert.Null(uma.UserId);

        var userId = await People(harness).EnsureKnownAsync(harness.OrganizationId, uma, "user:admin@contoso.example");
        Assert.Equal(userId, await People(harness).EnsureKnownAsync(harness.OrganizationId, uma, "user:admin@contoso.example"));

        await using var db = await harness.DbAsync();
        var user = await db.Users.SingleAsync(u => u.Id == userId);
        Assert.Equal(UserRole.Viewer, user.Role);
        Assert.True(user.IsActive);
        Assert.Single(await db.AuditLog.Where(a => a.Action == "user.added").ToListAsync());
        var known = Assert.Single(await People(harness).SearchAsync(harness.OrganizationId, "uma"));
        Assert.Equal(userId, known.UserId);
    }

    [Fact]
    public async Task Known_people_are_offered_when_the_directory_cannot_be_searched()
    {
        await using var harness = await StartWithoutUmaAsync();
        harness.Sandbox.Faults.SetTenant(ReachabilityHarness.Contoso, new FaultSettings { ErrorRate = 1, ErrorStatuses = [503], RetryAfterSeconds = 0 });

        var found = await People(harness).SearchAsync(harness.OrganizationId, "ad");

        Assert.Contains(found, p => p.UserPrincipalName == "admin@contoso.example" && p.UserId is not null);
        Assert.Empty(await People(harness).SearchAsync(harness.OrganizationId, "uma"));
    }

    [Fact]
    public async Task Another_organisation_gets_nobody()
    {
        await using var harness = await StartWithoutUmaAsync();

        Assert.Empty(await People(harness).SearchAsync(Guid.NewGuid(), "a"));
        Assert.Empty(await People(harness).SearchAsync(Guid.NewGuid(), "uma"));
    }
}
