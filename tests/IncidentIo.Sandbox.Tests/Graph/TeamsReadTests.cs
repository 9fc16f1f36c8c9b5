using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Tests.Infrastructure;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;

namespace IncidentIo.Sandbox.Tests.Graph;

/// <summary>The seeded teams through Graph: members, joined teams, groups, channels; and the control API.</summary>
[Collection(SharedSandbox.Name)]
public sealed class TeamsReadTests(SandboxFixture sandbox)
{
    [Fact]
    public async Task Page_iterator_walks_team_members_across_next_links()
    {
        var graph = AppGraph();
        var first = await graph.Teams[TeamsSeed.EngineeringTeamId.ToString()].Members.GetAsync(r => r.QueryParameters.Top = 3);
        Assert.StartsWith($"{sandbox.Origin}/v1.0/teams/{TeamsSeed.EngineeringTeamId}/members?", first!.OdataNextLink, StringComparison.Ordinal);

        var members = new List<AadUserConversationMember>();
        var iterator = PageIterator<ConversationMember, ConversationMemberCollectionResponse>.CreatePageIterator(graph, first, m =>
        {
            members.Add(Assert.IsType<AadUserConversationMember>(m));
            return true;
        });
        await iterator.IterateAsync();

        Assert.Equal(8, members.Count);
        Assert.Equal(8, members.Select(m => m.UserId).Distinct().Count());
        var admin = Assert.Single(members, m => m.UserId == DemoSeed.AdminId.ToString());
        Assert.Equal(["owner"], admin.Roles!);
        Assert.Equal("admin@contoso.example", admin.Email);
        Assert.Equal("Adele Admin", admin.DisplayName);
        var uma = Assert.Single(members, m => m.UserId == DemoSeed.UserId.ToString());
        Assert.Empty(uma.Roles!);
        Assert.DoesNotContain(members, m => m.UserId == DemoSeed.NoTeamUser1Id.ToString() || m.UserId == DemoSeed.NoTeamUser2Id.ToString());
    }

    [Fact]
    public async Task Members_without_top_come_on_one_page_and_can_be_filtered_by_user_id()
    {
        var graph = AppGraph();

        var all = await graph.Teams[TeamsSeed.OperationsTeamId.ToString()].Members.GetAsync();
        var one = await graph.Teams[TeamsSeed.OperationsTeamId.ToString()].Members.GetAsync(r =>
            r.QueryParameters.Filter = $"(microsoft.graph.aadUserConversationMember/userId eq '{DemoSeed.NeverOpenedTeamsUserId}')");

        Assert.Equal(8, all!.Value!.Count);
        Assert.Null(all.OdataNextLink);
        Assert.Equal(8, all.OdataCount);
        Assert.Equal("Nina Newcomer", Assert.Single(one!.Value!).DisplayName);
    }

    [Fact]
    public async Task Joined_teams_of_members_and_of_users_in_no_team()
    {
        var graph = AppGraph();

        var uma = await graph.Users["user@contoso.example"].JoinedTeams.GetAsync();
        var loner = await graph.Users[DemoSeed.NoTeamUser1Id.ToString()].JoinedTeams.GetAsync();
        var lena = await graph.Users["loner2@contoso.example"].JoinedTeams.GetAsync();

        Assert.Equal(["Engineering", "Operations"], uma!.Value!.Select(t => t.DisplayName));
        Assert.Equal([TeamsSeed.EngineeringTeamId.ToString(), TeamsSeed.OperationsTeamId.ToString()], uma.Value!.Select(t => t.Id));
        Assert.Empty(loner!.Value!);
        Assert.Empty(lena!.Value!);
    }

    [Fact]
    public async Task Groups_filter_by_display_name_and_team_provisioning()
    {
        var graph = AppGraph();

        var byName = await graph.Groups.GetAsync(r => r.QueryParameters.Filter = "displayName eq 'Operations'");
        var teams = await graph.Groups.GetAsync(r => r.QueryParameters.Filter = "resourceProvisioningOptions/Any(x:x eq 'Team') and displayName eq 'Engineering'");
        var none = await graph.Groups.GetAsync(r => r.QueryParameters.Filter = "displayName eq 'Incidents-nonexistent'");
        var teamsList = await graph.Teams.GetAsync(r => r.QueryParameters.Filter = "displayName eq 'Engineering'");

        var operations = Assert.Single(byName!.Value!);
        Assert.Equal(TeamsSeed.OperationsTeamId.ToString(), operations.Id);
        Assert.Equal(["Team"], operations.ResourceProvisioningOptions!);
        Assert.Equal(["Unified"], operations.GroupTypes!);
        Assert.Equal(TeamsSeed.EngineeringTeamId.ToString(), Assert.Single(teams!.Value!).Id);
        Assert.Empty(none!.Value!);
        Assert.Equal(TeamsSeed.EngineeringTeamId.ToString(), Assert.Single(teamsList!.Value!).Id);
    }

    [Fact]
    public async Task A_seeded_team_its_primary_channel_and_channels()
    {
        var graph = AppGraph();

        var team = await graph.Teams[TeamsSeed.EngineeringTeamId.ToString()].GetAsync();
        var primary = await graph.Teams[TeamsSeed.EngineeringTeamId.ToString()].PrimaryChannel.GetAsync();
        var channels = await graph.Teams[TeamsSeed.EngineeringTeamId.ToString()].Channels.GetAsync();
        var byId = await graph.Teams[TeamsSeed.EngineeringTeamId.ToString()].Channels[primary!.Id].GetAsync();

        Assert.Equal("Engineering", team!.DisplayName);
        Assert.Equal(TeamVisibilityType.Private, team.Visibility);
        Assert.False(team.IsArchived);
        Assert.Equal(primary.Id, team.InternalId);
        Assert.Equal(primary.Id, Assert.Single(channels!.Value!).Id);
        Assert.Equal("General", byId!.DisplayName);
    }

    [Fact]
    public async Task An_unknown_team_is_404_NotFound()
    {
        var graph = AppGraph();
        var unknown = Guid.NewGuid().ToString();

        var team = await Assert.ThrowsAsync<ODataError>(() => graph.Teams[unknown].GetAsync());
        var members = await Assert.ThrowsAsync<ODataError>(() => graph.Teams[unknown].Members.GetAsync());
        var apps = await Assert.ThrowsAsync<ODataError>(() => graph.Teams[unknown].InstalledApps.GetAsync());

        Assert.Equal(404, team.ResponseStatusCode);
        Assert.Equal("NotFound", team.Error!.Code);
        Assert.Equal($"No team found with Group Id {unknown}", team.Error.Message);
        Assert.Equal("ItemNotFound", team.Error.InnerError!.AdditionalData["code"]?.ToString());
        Assert.False(string.IsNullOrEmpty(team.Error.InnerError!.RequestId));
        Assert.Equal(404, members.ResponseStatusCode);
        Assert.Equal(404, apps.ResponseStatusCode);
    }

    [Fact]
    public async Task A_team_of_another_tenant_is_not_found()
    {
        var app = sandbox.RegisterApp(a => a with { ApplicationPermissions = ["Team.ReadBasic.All"] });
        sandbox.GrantAdminConsent(app, DemoSeed.StaffTenantId);
        var staff = sandbox.Graph(() => sandbox.AppTokenAsync(app, DemoSeed.StaffTenantId));

        var error = await Assert.ThrowsAsync<ODataError>(() => staff.Teams[TeamsSeed.EngineeringTeamId.ToString()].GetAsync());

        Assert.Equal(404, error.ResponseStatusCode);
    }

    [Fact]
    public async Task Without_the_permissions_teams_calls_are_403_Forbidden_naming_the_permissions()
    {
        var graph = AppGraph(["User.Read.All"]);
        var team = TeamsSeed.EngineeringTeamId.ToString();

        var calls = new Func<Task>[]
        {
            () => graph.Teams[team].GetAsync(),
            () => graph.Teams[team].Members.GetAsync(),
            () => graph.Teams[team].Channels.GetAsync(),
            () => graph.Teams[team].InstalledApps.GetAsync(),
            () => graph.Users[DemoSeed.UserId.ToString()].Teamwork.InstalledApps.GetAsync(),
            () => graph.AppCatalogs.TeamsApps.GetAsync(),
        };
        foreach (var call in calls)
        {
            var error = await Assert.ThrowsAsync<ODataError>(call);
            Assert.Equal(403, error.ResponseStatusCode);
            Assert.Equal("Forbidden", error.Error!.Code);
            Assert.StartsWith("Missing role permissions on the request. API requires one of '", error.Error.Message, StringComparison.Ordinal);
            Assert.EndsWith("Roles on the request 'User.Read.All'.", error.Error.Message, StringComparison.Ordinal);
        }

        var members = await Assert.ThrowsAsync<ODataError>(() => graph.Teams[team].Members.GetAsync());
        Assert.Contains("'TeamMember.Read.All, TeamMember.ReadWrite.All'", members.Error!.Message, StringComparison.Ordinal);

        // /groups is a directory API: it answers like /users.
        var groups = await Assert.ThrowsAsync<ODataError>(() => graph.Groups.GetAsync());
        Assert.Equal(403, groups.ResponseStatusCode);
        Assert.Equal("Authorization_RequestDenied", groups.Error!.Code);

        // joinedTeams accepts User.Read.All, as its reference page lists.
        Assert.NotEmpty((await graph.Users[DemoSeed.UserId.ToString()].JoinedTeams.GetAsync())!.Value!);
    }

    [Fact]
    public async Task Delegated_tokens_need_delegated_scopes()
    {
        var app = sandbox.RegisterApp(a => a with { DelegatedScopes = ["User.Read", "Team.ReadBasic.All"] });
        var signIn = await DelegatedSignIn.SignInAsync(sandbox, app, "user@contoso.example", ["Team.ReadBasic.All"]);
        var graph = sandbox.Graph(() => Task.FromResult(signIn.AccessToken));

        var team = await graph.Teams[TeamsSeed.OperationsTeamId.ToString()].GetAsync();
        var members = await Assert.ThrowsAsync<ODataError>(() => graph.Teams[TeamsSeed.OperationsTeamId.ToString()].Members.GetAsync());

        Assert.Equal("Operations", team!.DisplayName);
        Assert.Equal(403, members.ResponseStatusCode);
        Assert.StartsWith("Missing scope permissions on the request.", members.Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Control_api_lists_teams_creates_one_and_changes_its_members()
    {
        var changes = new List<TeamsChangedEventArgs>();
        void Record(object? sender, TeamsChangedEventArgs e) => changes.Add(e);
        var name = $"Control {Guid.NewGuid():N}";

        sandbox.State.Teams.Changed += Record;
        try
        {
            using var created = await sandbox.Http.PostAsJsonAsync("/sandbox/api/tenants/contoso.example/teams", new
            {
                displayName = name,
                members = new[] { new { user = "admin@contoso.example", owner = true } },
            });
            var teamId = JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetGuid();
            using var added = await sandbox.Http.PostAsJsonAsync($"/sandbox/api/tenants/contoso.example/teams/{teamId}/members", new { user = "loner1@contoso.example" });
            var listed = JsonDocument.Parse(await sandbox.Http.GetStringAsync("/sandbox/api/tenants/contoso.example/teams")).RootElement;
            using var removed = await sandbox.Http.DeleteAsync($"/sandbox/api/tenants/contoso.example/teams/{teamId}/members/loner1@contoso.example");
            using var again = await sandbox.Http.DeleteAsync($"/sandbox/api/tenants/contoso.example/teams/{teamId}/members/loner1@contoso.example");

            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            Assert.Equal(HttpStatusCode.OK, added.StatusCode);
            var team = Assert.Single(listed.EnumerateArray(), t => t.GetProperty("id").GetGuid() == teamId);
            Assert.Equal(2, team.GetProperty("members").GetArrayLength());
            Assert.Contains(listed.EnumerateArray(), t => t.GetProperty("id").GetGuid() == TeamsSeed.EngineeringTeamId);
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
            Assert.Equal(
                [TeamsChangeKind.TeamCreated, TeamsChangeKind.MemberAdded, TeamsChangeKind.MemberRemoved],
                changes.Where(c => c.TeamId == teamId).Select(c => c.Kind));
            Assert.Equal(DemoSeed.NoTeamUser1Id, changes.Single(c => c.Kind == TeamsChangeKind.MemberAdded && c.TeamId == teamId).UserId);
        }
        finally
        {
            sandbox.State.Teams.Changed -= Record;
        }
    }

    private GraphServiceClient AppGraph(string[]? permissions = null)
    {
        var app = sandbox.RegisterApp(a => a with
        {
            ApplicationPermissions = permissions ??
                ["Team.ReadBasic.All", "Channel.ReadBasic.All", "TeamMember.Read.All", "Group.Read.All", "TeamsAppInstallation.ReadForTeam.All"],
        });
        sandbox.GrantAdminConsent(app, DemoSeed.ContosoTenantId);
        return sandbox.Graph(() => sandbox.AppTokenAsync(app, DemoSeed.ContosoTenantId));
    }
}
