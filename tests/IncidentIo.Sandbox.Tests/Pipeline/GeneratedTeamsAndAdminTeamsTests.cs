using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Tests.Infrastructure;
using Xunit.Abstractions;

namespace IncidentIo.Sandbox.Tests.Pipeline;

public sealed class GeneratedTeamsAndAdminTeamsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_generated_tenant_has_one_team_per_twenty_users_with_skewed_sizes_and_people_in_no_team()
    {
        await using var sandbox = await OwnSandbox.StartAsync();
        var tenantId = Guid.NewGuid();
        sandbox.State.AddTenant(new Tenant(tenantId, "Northwind", ["northwind.example"]));

        var made = TenantGenerator.Generate(sandbox.State, tenantId, users: 20_000, seed: 7);

        var teams = sandbox.State.Teams.Teams(tenantId);
        var sizes = teams.Select(t => sandbox.State.Teams.Members(t.Id).Count).Order().ToList();
        var inATeam = teams.SelectMany(t => sandbox.State.Teams.Members(t.Id)).Select(m => m.UserId).ToHashSet();
        output.WriteLine($"{made.Users.Count} users, {teams.Count} teams in {made.Elapsed.TotalMilliseconds:F0} ms; median size {sizes[sizes.Count / 2]}, max {sizes[^1]}; {made.Users.Count - inATeam.Count} in no team");
        Assert.Equal(1_000, teams.Count);
        Assert.InRange(sizes[sizes.Count / 2], 10, 60);
        Assert.True(sizes[^1] > 200, "a few teams are large");
        Assert.All(teams, t => Assert.Single(sandbox.State.Teams.Members(t.Id), m => m.IsOwner));
        Assert.InRange(made.Users.Count - inATeam.Count, 1, made.Users.Count / 2);
        Assert.Subset(made.Users.Select(u => u.Id).ToHashSet(), inATeam);
    }

    [Fact]
    public async Task The_tenant_page_shows_teams_with_members_and_installed_apps_and_bot_messages_have_a_page()
    {
        await using var sandbox = await OwnSandbox.StartAsync();
        var contoso = DemoSeed.ContosoTenantId;
        var app = sandbox.Host.PublishTeamsApp(contoso, "0b1f0c5e-3d2a-4c7b-9e8f-1a2b3c4d5e6f", "IncidentIo", "1.0.0");
        sandbox.State.Teams.InstallInTeam(contoso, TeamsSeed.EngineeringTeamId, app.Id);

        var html = await sandbox.Http.GetStringAsync($"/sandbox/tenants/{contoso}");
        var bot = await sandbox.Http.GetStringAsync($"/sandbox/bot?tenant={contoso}");

        Assert.Contains("<h2 id=\"teams\">Teams (2)</h2>", html, StringComparison.Ordinal);
        Assert.Contains($"<tr data-team=\"{TeamsSeed.EngineeringTeamId}\"><td><b>Engineering</b>", html, StringComparison.Ordinal);
        Assert.Matches($"data-team=\"{TeamsSeed.EngineeringTeamId}\">.*?<td>IncidentIo</td>", html);
        Assert.Contains("No bot has sent anything yet.", bot, StringComparison.Ordinal);
    }
}
