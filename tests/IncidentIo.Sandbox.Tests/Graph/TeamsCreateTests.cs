using System.Text.RegularExpressions;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Tests.Infrastructure;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware.Options;
using Team = Microsoft.Graph.Models.Team;

namespace IncidentIo.Sandbox.Tests.Graph;

/// <summary>POST /teams and its operation, moving the Sandbox clock through the operation's states.</summary>
[Collection(MovingClockSandbox.Name)]
public sealed partial class TeamsCreateTests(SandboxFixture sandbox)
{
    [Fact]
    public async Task Create_team_is_202_with_locations_then_the_operation_moves_to_succeeded_and_the_team_is_usable()
    {
        sandbox.State.Teams.Configure(DemoSeed.ContosoTenantId, s => s with
        {
            CreateTeamNotStartedFor = TimeSpan.FromMinutes(1),
            CreateTeamInProgressFor = TimeSpan.FromMinutes(1),
            CreateTeamFailure = null,
        });
        var catalogApp = sandbox.Host.PublishTeamsApp(DemoSeed.ContosoTenantId, Guid.NewGuid().ToString(), "IncidentIo", "1.0.0");
        var graph = AppGraph();
        var headers = new HeadersInspectionHandlerOption { InspectResponseHeaders = true };

        var created = await graph.Teams.PostAsync(NewTeam("Incidents", DemoSeed.AdminId), c => c.Options.Add(headers));

        Assert.Null(created);
        var location = headers.ResponseHeaders["Location"].Single();
        var match = LocationPattern().Match(location);
        Assert.True(match.Success, location);
        var (teamId, operationId) = (match.Groups[1].Value, match.Groups[2].Value);
        Assert.Equal($"/teams('{teamId}')", headers.ResponseHeaders["Content-Location"].Single());

        var notStarted = await graph.Teams[teamId].Operations[operationId].GetAsync();
        var hidden = await Assert.ThrowsAsync<ODataError>(() => graph.Teams[teamId].GetAsync());
        sandbox.Clock.Advance(TimeSpan.FromSeconds(61));
        var inProgress = await graph.Teams[teamId].Operations[operationId].GetAsync();
        sandbox.Clock.Advance(TimeSpan.FromSeconds(61));
        var succeeded = await graph.Teams[teamId].Operations[operationId].GetAsync();

        Assert.Equal(TeamsAsyncOperationStatus.NotStarted, notStarted!.Status);
        Assert.Equal(TeamsAsyncOperationType.CreateTeam, notStarted.OperationType);
        Assert.Equal(404, hidden.ResponseStatusCode);
        Assert.Equal("NotFound", hidden.Error!.Code);
        Assert.Equal(TeamsAsyncOperationStatus.InProgress, inProgress!.Status);
        Assert.Equal(TeamsAsyncOperationStatus.Succeeded, succeeded!.Status);
        Assert.Equal(teamId, succeeded.TargetResourceId);
        Assert.Null(succeeded.Error);

        var team = await graph.Teams[teamId].GetAsync();
        var general = await graph.Teams[teamId].PrimaryChannel.GetAsync();
        var channels = await graph.Teams[teamId].Channels.GetAsync();
        await graph.Teams[teamId].InstalledApps.PostAsync(Install(catalogApp.Id));
        var tab = await graph.Teams[teamId].Channels[general!.Id].Tabs.PostAsync(new TeamsTab
        {
            DisplayName = "Incidents",
            Configuration = new TeamsTabConfiguration
            {
                EntityId = "incidents",
                ContentUrl = "https://portal.test/tab",
                WebsiteUrl = "https://portal.test/incidents",
            },
            AdditionalData = new Dictionary<string, object> { ["teamsApp@odata.bind"] = $"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/{catalogApp.Id}" },
        });
        var tabs = await graph.Teams[teamId].Channels[general.Id].Tabs.GetAsync(r => r.QueryParameters.Expand = ["teamsApp"]);
        var members = await graph.Teams[teamId].Members.GetAsync();

        Assert.Equal("Incidents", team!.DisplayName);
        Assert.Equal(DemoSeed.ContosoTenantId.ToString(), team.TenantId);
        Assert.Equal("General", general.DisplayName);
        Assert.Matches("^19:[0-9a-f]{32}@thread.tacv2$", general.Id);
        Assert.Equal(general.Id, Assert.Single(channels!.Value!).Id);
        Assert.False(string.IsNullOrEmpty(tab!.Id));
        var listed = Assert.Single(tabs!.Value!);
        Assert.Equal("Incidents", listed.DisplayName);
        Assert.Equal("https://portal.test/tab", listed.Configuration!.ContentUrl);
        Assert.Equal("incidents", listed.Configuration.EntityId);
        Assert.Equal(catalogApp.ExternalId, listed.TeamsApp!.ExternalId);
        var owner = Assert.IsType<AadUserConversationMember>(Assert.Single(members!.Value!));
        Assert.Equal(DemoSeed.AdminId.ToString(), owner.UserId);
        Assert.Equal(["owner"], owner.Roles!);
    }

    [Fact]
    public async Task On_the_wire_create_team_is_202_with_no_body_and_relative_locations()
    {
        var app = sandbox.RegisterApp(a => a with { ApplicationPermissions = ["Team.Create"] });
        sandbox.GrantAdminConsent(app, DemoSeed.ContosoTenantId);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1.0/teams")
        {
            Content = new StringContent(
                $$"""
                {"template@odata.bind":"https://graph.microsoft.com/v1.0/teamsTemplates('standard')","displayName":"Wire","members":[
                 {"@odata.type":"#microsoft.graph.aadUserConversationMember","roles":["owner"],"user@odata.bind":"https://graph.microsoft.com/v1.0/users('{{DemoSeed.AdminId}}')"}]}
                """, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new("Bearer", await sandbox.AppTokenAsync(app, DemoSeed.ContosoTenantId));

        using var response = await sandbox.Http.SendAsync(request);

        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(0, response.Content.Headers.ContentLength);
        Assert.Matches(LocationPattern(), response.Headers.Location!.OriginalString);
        Assert.False(response.Headers.Location.IsAbsoluteUri);
        Assert.StartsWith("/teams('", response.Content.Headers.ContentLocation!.OriginalString, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(response.Headers.GetValues("request-id").Single()));
    }

    [Fact]
    public async Task The_location_path_itself_can_be_polled()
    {
        var graph = AppGraph();
        var headers = new HeadersInspectionHandlerOption { InspectResponseHeaders = true };
        await graph.Teams.PostAsync(NewTeam("Polled", DemoSeed.AdminId), c => c.Options.Add(headers));

        var location = headers.ResponseHeaders["Location"].Single();
        var operation = await graph.Teams["x"].Operations["y"].WithUrl($"{sandbox.Origin}/v1.0{location}").GetAsync();

        Assert.Equal(LocationPattern().Match(location).Groups[2].Value, operation!.Id);
        Assert.NotNull(operation.Status);
    }

    [Fact]
    public async Task A_failed_creation_reports_its_error_and_the_team_never_appears()
    {
        sandbox.State.Teams.Configure(DemoSeed.ContosoTenantId, s => s with
        {
            CreateTeamNotStartedFor = TimeSpan.Zero,
            CreateTeamInProgressFor = TimeSpan.FromMinutes(1),
            CreateTeamFailure = new TeamsOperationError("Conflict", "A team with this group already exists."),
        });
        try
        {
            var graph = AppGraph();
            var headers = new HeadersInspectionHandlerOption { InspectResponseHeaders = true };
            await graph.Teams.PostAsync(NewTeam("Doomed", DemoSeed.AdminId), c => c.Options.Add(headers));
            var match = LocationPattern().Match(headers.ResponseHeaders["Location"].Single());

            sandbox.Clock.Advance(TimeSpan.FromMinutes(2));
            var failed = await graph.Teams[match.Groups[1].Value].Operations[match.Groups[2].Value].GetAsync();
            var missing = await Assert.ThrowsAsync<ODataError>(() => graph.Teams[match.Groups[1].Value].GetAsync());

            Assert.Equal(TeamsAsyncOperationStatus.Failed, failed!.Status);
            Assert.Equal("Conflict", failed.Error!.Code);
            Assert.Equal("A team with this group already exists.", failed.Error.Message);
            Assert.Equal(404, missing.ResponseStatusCode);
        }
        finally
        {
            sandbox.State.Teams.Configure(DemoSeed.ContosoTenantId, s => s with { CreateTeamFailure = null });
        }
    }

    [Fact]
    public async Task App_only_creation_without_an_owner_is_400_and_without_team_create_is_403()
    {
        var noOwner = await Assert.ThrowsAsync<ODataError>(() => AppGraph().Teams.PostAsync(new Team
        {
            DisplayName = "Ownerless",
            AdditionalData = new Dictionary<string, object> { ["template@odata.bind"] = "https://graph.microsoft.com/v1.0/teamsTemplates('standard')" },
        }));
        var denied = await Assert.ThrowsAsync<ODataError>(() =>
            AppGraph(["User.Read.All"]).Teams.PostAsync(NewTeam("Nope", DemoSeed.AdminId)));

        Assert.Equal(400, noOwner.ResponseStatusCode);
        Assert.Equal(403, denied.ResponseStatusCode);
        Assert.Equal("Forbidden", denied.Error!.Code);
    }

    [Fact]
    public async Task An_admin_creates_the_team_with_delegated_team_create_and_installs_the_app()
    {
        sandbox.State.Teams.Configure(DemoSeed.ContosoTenantId, s => s with
        {
            CreateTeamNotStartedFor = TimeSpan.FromSeconds(30),
            CreateTeamInProgressFor = TimeSpan.FromSeconds(30),
            CreateTeamFailure = null,
        });
        var registration = sandbox.RegisterApp(a => a with
        {
            DelegatedScopes = ["User.Read", "Team.Create", "Team.ReadBasic.All", "TeamsAppInstallation.ReadWriteSelfForTeam"],
        });
        var catalogApp = sandbox.Host.PublishTeamsApp(DemoSeed.ContosoTenantId, Guid.NewGuid().ToString(), "IncidentIo", "1.0.0", azureAdAppId: registration.ClientId);
        var signIn = await DelegatedSignIn.SignInAsync(sandbox, registration, "admin@contoso.example", ["Team.Create", "Team.ReadBasic.All", "TeamsAppInstallation.ReadWriteSelfForTeam"]);
        var graph = sandbox.Graph(() => Task.FromResult(signIn.AccessToken));
        var headers = new HeadersInspectionHandlerOption { InspectResponseHeaders = true };

        await graph.Teams.PostAsync(new Team
        {
            DisplayName = "Incidents",
            AdditionalData = new Dictionary<string, object> { ["template@odata.bind"] = "https://graph.microsoft.com/v1.0/teamsTemplates('standard')" },
        }, c => c.Options.Add(headers));
        var match = LocationPattern().Match(headers.ResponseHeaders["Location"].Single());
        sandbox.Clock.Advance(TimeSpan.FromMinutes(1));
        var operation = await graph.Teams[match.Groups[1].Value].Operations[match.Groups[2].Value].GetAsync();
        await graph.Teams[match.Groups[1].Value].InstalledApps.PostAsync(Install(catalogApp.Id));
        var joined = await graph.Me.JoinedTeams.GetAsync();

        Assert.Equal(TeamsAsyncOperationStatus.Succeeded, operation!.Status);
        Assert.Contains(joined!.Value!, t => t.Id == match.Groups[1].Value);
        var owner = Assert.Single(sandbox.State.Teams.Members(Guid.Parse(match.Groups[1].Value)));
        Assert.Equal((DemoSeed.AdminId, true), (owner.UserId, owner.IsOwner));
    }

    private static Team NewTeam(string name, Guid owner) => new()
    {
        DisplayName = name,
        Description = $"{name} team",
        AdditionalData = new Dictionary<string, object> { ["template@odata.bind"] = "https://graph.microsoft.com/v1.0/teamsTemplates('standard')" },
        Members =
        [
            new AadUserConversationMember
            {
                Roles = ["owner"],
                AdditionalData = new Dictionary<string, object> { ["user@odata.bind"] = $"https://graph.microsoft.com/v1.0/users('{owner}')" },
            },
        ],
    };

    private static TeamsAppInstallation Install(Guid catalogId) => new()
    {
        AdditionalData = new Dictionary<string, object> { ["teamsApp@odata.bind"] = $"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/{catalogId}" },
    };

    private GraphServiceClient AppGraph(string[]? permissions = null)
    {
        var app = sandbox.RegisterApp(a => a with
        {
            ApplicationPermissions = permissions ??
                ["Team.Create", "Team.ReadBasic.All", "Channel.ReadBasic.All", "TeamsTab.Create", "TeamsTab.Read.All", "TeamMember.Read.All", "TeamsAppInstallation.ReadWriteForTeam.All"],
        });
        sandbox.GrantAdminConsent(app, DemoSeed.ContosoTenantId);
        return sandbox.Graph(() => sandbox.AppTokenAsync(app, DemoSeed.ContosoTenantId));
    }

    [GeneratedRegex(@"^/teams\('([0-9a-f-]{36})'\)/operations\('([0-9a-f-]{36})'\)$")]
    private static partial Regex LocationPattern();
}
