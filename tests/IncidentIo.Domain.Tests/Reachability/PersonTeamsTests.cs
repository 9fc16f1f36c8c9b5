using IncidentIo.Domain.Reachability;
using IncidentIo.Sandbox.Faults;
using IncidentIo.Sandbox.State;
using Microsoft.Extensions.DependencyInjection;

namespace IncidentIo.Domain.Tests.Reachability;

/// <summary>The teams a person is in, as support's comparison asks Microsoft for them.</summary>
public sealed class PersonTeamsTests
{
    [Fact]
    public async Task A_member_gets_their_team_names_someone_in_none_says_so_and_an_error_is_named()
    {
        await using var harness = await ReachabilityHarness.StartAsync();
        var teams = harness.Services.GetRequiredService<PersonTeams>();
        var admin = await harness.UserAsync("admin@contoso.example");
        var loner = await harness.UserAsync("loner1@contoso.example");
        var expected = string.Join(", ", harness.Sandbox.State.Teams.JoinedTeams(DemoSeed.AdminId).Select(t => t.DisplayName).Order(StringComparer.CurrentCulture));

        Assert.Equal(expected, await teams.DescribeAsync(harness.OrganizationId, admin.Id));
        Assert.Equal("in no team", await teams.DescribeAsync(harness.OrganizationId, loner.Id));
        Assert.Equal("—", await teams.DescribeAsync(Guid.NewGuid(), admin.Id)); // not in that organisation

        harness.Sandbox.Faults.SetTenant(ReachabilityHarness.Contoso, new FaultSettings { ErrorRate = 1, ErrorStatuses = [503] });
        Assert.StartsWith("Microsoft could not say: Microsoft Graph answered 503", await teams.DescribeAsync(harness.OrganizationId, admin.Id), StringComparison.Ordinal);
    }
}
