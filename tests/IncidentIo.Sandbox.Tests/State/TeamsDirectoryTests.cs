using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Tests.Infrastructure;

namespace IncidentIo.Sandbox.Tests.State;

public sealed class TeamsDirectoryTests
{
    [Fact]
    public void Seeded_teams_are_fixed_and_the_loners_are_in_none()
    {
        var state = Seeded(new ManualClock());

        Assert.Equal(["Engineering", "Operations"], state.Teams.Teams(DemoSeed.ContosoTenantId).Select(t => t.DisplayName));
        Assert.Equal(TeamsSeed.EngineeringTeamId, state.Teams.Teams(DemoSeed.ContosoTenantId)[0].Id);
        Assert.Empty(state.Teams.JoinedTeams(DemoSeed.NoTeamUser1Id));
        Assert.Empty(state.Teams.JoinedTeams(DemoSeed.NoTeamUser2Id));
        Assert.Equal(2, state.Teams.JoinedTeams(DemoSeed.AdminId).Count);
        Assert.Empty(state.Teams.Teams(DemoSeed.StaffTenantId));
        Assert.Equal(
            Seeded(new ManualClock()).Teams.Channels(TeamsSeed.OperationsTeamId).Single().Id,
            state.Teams.Channels(TeamsSeed.OperationsTeamId).Single().Id);
        Assert.Matches("^19:[0-9a-f]{32}@thread.tacv2$", state.Teams.Channels(TeamsSeed.OperationsTeamId).Single().Id);
    }

    [Fact]
    public void A_team_being_created_is_announced_with_its_apps_once_ready()
    {
        var clock = new ManualClock();
        var state = Seeded(clock);
        var app = state.Teams.PublishApp(DemoSeed.ContosoTenantId, "manifest-id", "IncidentIo", "1.0.0");
        var changes = new List<TeamsChangedEventArgs>();
        state.Teams.Changed += (_, e) => changes.Add(e);

        var (team, operation) = state.Teams.StartCreateTeam(DemoSeed.ContosoTenantId, "Incidents", null, "private", [(DemoSeed.AdminId, true)], [app.Id]);
        Assert.Null(state.Teams.FindTeam(DemoSeed.ContosoTenantId, team.Id));
        Assert.Empty(changes);

        clock.Advance(TimeSpan.FromSeconds(10));

        Assert.NotNull(state.Teams.FindTeam(DemoSeed.ContosoTenantId, team.Id));
        Assert.Equal(TeamsOperationStatus.Succeeded, operation.StatusAt(clock.GetUtcNow()));
        Assert.Equal([TeamsChangeKind.TeamCreated, TeamsChangeKind.AppInstalledInTeam], changes.Select(c => c.Kind));
        Assert.All(changes, c => Assert.Equal(team.Id, c.TeamId));
        Assert.Equal(app.Id, changes[1].TeamsAppId);
    }

    [Fact]
    public void Concurrent_installs_of_one_app_succeed_once()
    {
        var state = Seeded(new ManualClock());
        var app = state.Teams.PublishApp(DemoSeed.ContosoTenantId, "manifest-id", "IncidentIo", "1.0.0");

        var results = Enumerable.Range(0, 32).AsParallel()
            .Select(_ => state.Teams.InstallForUser(DemoSeed.ContosoTenantId, DemoSeed.UserId, app.Id, awaitingTeamsClient: false))
            .ToList();

        Assert.Single(results, r => r is not null);
        Assert.Single(state.Teams.Installations(InstallationScope.User, DemoSeed.UserId));
    }

    private static SandboxState Seeded(TimeProvider clock)
    {
        var state = new SandboxState(clock);
        DemoSeed.Apply(state);
        return state;
    }
}
