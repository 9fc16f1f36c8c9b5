using System.Text.Json.Nodes;
using IncidentIo.Sandbox.Hosting;
using IncidentIo.Sandbox.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace IncidentIo.Sandbox.Graph.Teams;

/// <summary>
/// Teams, their create operations, channels, tabs and members; <c>/groups</c> (teams are the only
/// groups) and <c>/users/{id}/joinedTeams</c>. App installations and the catalog are in
/// <see cref="TeamsAppsEndpoints"/>.
/// </summary>
public static class TeamsEndpoints
{
    public static void MapTeams(this IEndpointRouteBuilder graph)
    {
        graph.MapGet("/teams", ListTeams);
        graph.MapPost("/teams", CreateTeam);
        graph.MapGet("/teams/{teamId}", GetTeam);
        graph.MapGet("/teams/{teamId}/operations/{operationId}", GetOperation);
        graph.MapGet("/teams('{teamId}')/operations('{operationId}')", GetOperation);
        graph.MapGet("/teams/{teamId}/channels", ListChannels);
        graph.MapGet("/teams/{teamId}/primaryChannel", PrimaryChannel);
        graph.MapGet("/teams/{teamId}/channels/{channelId}", GetChannel);
        graph.MapGet("/teams/{teamId}/channels/{channelId}/tabs", ListTabs);
        graph.MapPost("/teams/{teamId}/channels/{channelId}/tabs", AddTab);
        graph.MapGet("/teams/{teamId}/members", ListMembers);
        graph.MapGet("/groups", ListGroups);
        graph.MapGet("/users/{idOrUpn}/joinedTeams", JoinedTeams);
        graph.MapGet("/me/joinedTeams", (HttpContext http, SandboxRuntime r) => AsMe(http, me => JoinedTeams(http, me, r)));
        graph.MapTeamsApps();
    }

    /// <summary>Runs a <c>/users/{id}/…</c> handler for the signed-in user; <c>/me</c> needs a delegated token.</summary>
    public static IResult AsMe(HttpContext http, Func<string, IResult> handler) =>
        GraphCaller.Of(http).UserId is { } me
            ? handler(me.ToString())
            : GraphErrors.BadRequest(http, "BadRequest", "/me request is only valid with delegated authentication flow.");

    /// <summary>The same for asynchronous handlers.</summary>
    public static Task<IResult> AsMe(HttpContext http, Func<string, Task<IResult>> handler) =>
        GraphCaller.Of(http).UserId is { } me
            ? handler(me.ToString())
            : Task.FromResult(GraphErrors.BadRequest(http, "BadRequest", "/me request is only valid with delegated authentication flow."));

    /// <summary>Graph's answer for a team id that is unknown, not yet created or in another tenant.</summary>
    public static IResult TeamNotFound(HttpContext http, string teamId) =>
        TeamsErrors.NotFound(http, $"No team found with Group Id {teamId}");

    /// <summary>Permission check then team lookup, the start of every <c>/teams/{id}/…</c> handler.</summary>
    public static (Team? Team, IResult? Problem) Authorize(HttpContext http, SandboxRuntime runtime, string teamId, Permissions permissions)
    {
        var caller = GraphCaller.Of(http);
        if (!caller.HasAny(permissions))
        {
            return (null, TeamsErrors.MissingPermissions(http, permissions));
        }

        var team = Guid.TryParse(teamId, out var id) ? runtime.State.Teams.FindTeam(caller.TenantId, id) : null;
        return team is null ? (null, TeamNotFound(http, teamId)) : (team, null);
    }

    private static IResult ListTeams(HttpContext http, SandboxRuntime runtime)
    {
        var caller = GraphCaller.Of(http);
        if (!caller.HasAny(TeamsPermissions.ReadTeam))
        {
            return TeamsErrors.MissingPermissions(http, TeamsPermissions.ReadTeam);
        }

        var teams = runtime.State.Teams.Teams(caller.TenantId).AsEnumerable();
        var filter = http.Request.Query["$filter"].ToString();
        if (filter.Length > 0)
        {
            var predicate = TeamFilter(filter, allowProvisioning: false);
            if (predicate is null)
            {
                return TeamsQuery.UnsupportedFilter(http, filter);
            }

            teams = teams.Where(predicate);
        }

        if (TeamsQuery.ReadPaging(http, 100, out var top, out var skip) is { } problem)
        {
            return problem;
        }

        return Results.Json(TeamsQuery.Page(http, runtime.Origin, "teams", [.. teams.Select(t => (JsonNode)TeamsJson.TeamSummary(t))], top, skip));
    }

    private static IResult ListGroups(HttpContext http, SandboxRuntime runtime)
    {
        var caller = GraphCaller.Of(http);
        if (!caller.HasAny(TeamsPermissions.ListGroups))
        {
            return GraphErrors.Forbidden(http);
        }

        var teams = runtime.State.Teams.Teams(caller.TenantId).AsEnumerable();
        var filter = http.Request.Query["$filter"].ToString();
        if (filter.Length > 0)
        {
            var predicate = TeamFilter(filter, allowProvisioning: true);
            if (predicate is null)
            {
                return GraphErrors.BadRequest(http, "Request_UnsupportedQuery", $"Unsupported or invalid query filter clause specified: '{filter}'.");
            }

            teams = teams.Where(predicate);
        }

        if (TeamsQuery.ReadPaging(http, 100, out var top, out var skip) is { } problem)
        {
            return problem;
        }

        var domain = runtime.State.FindTenant(caller.TenantId.ToString())!.DefaultDomain;
        return Results.Json(TeamsQuery.Page(http, runtime.Origin, "groups", [.. teams.Select(t => (JsonNode)TeamsJson.Group(t, domain))], top, skip));
    }

    /// <summary><c>displayName eq</c>, <c>startswith(displayName,…)</c> and, on groups, <c>resourceProvisioningOptions/Any(x:x eq 'Team')</c>.</summary>
    private static Func<Team, bool>? TeamFilter(string filter, bool allowProvisioning)
    {
        var clauses = TeamsQuery.EqualsClauses(filter);
        if (clauses is null)
        {
            return null;
        }

        var tests = new List<Func<Team, bool>>();
        foreach (var (property, value) in clauses)
        {
            switch (property)
            {
                case "DISPLAYNAME":
                    tests.Add(t => t.DisplayName.Equals(value, StringComparison.OrdinalIgnoreCase));
                    break;
                case "STARTSWITH:DISPLAYNAME":
                    tests.Add(t => t.DisplayName.StartsWith(value, StringComparison.OrdinalIgnoreCase));
                    break;
                case "ID":
                    tests.Add(t => t.Id.ToString().Equals(value, StringComparison.OrdinalIgnoreCase));
                    break;
                case "RESOURCEPROVISIONINGOPTIONS/ANY" when allowProvisioning:
                    tests.Add(_ => value.Equals("Team", StringComparison.OrdinalIgnoreCase));
                    break;
                default:
                    return null;
            }
        }

        return t => tests.All(test => test(t));
    }

    private static async Task<IResult> CreateTeam(HttpContext http, SandboxRuntime runtime)
    {
        var caller = GraphCaller.Of(http);
        if (!caller.HasAny(TeamsPermissions.CreateTeam))
        {
            return TeamsErrors.MissingPermissions(http, TeamsPermissions.CreateTeam);
        }

        var body = await TeamsQuery.ReadBodyAsync(http);
        if (body is null)
        {
            return GraphErrors.BadRequest(http, "BadRequest", "Empty or invalid payload.");
        }

        if (body.ContainsKey("group@odata.bind"))
        {
            return GraphErrors.BadRequest(http, "BadRequest", "Creating a team from an existing group is not supported by the Sandbox.");
        }

        if (TeamsQuery.Template(TeamsQuery.Text(body, "template@odata.bind")) is null)
        {
            return GraphErrors.BadRequest(http, "BadRequest", "The team template must be bound with 'template@odata.bind'.");
        }

        var displayName = TeamsQuery.Text(body, "displayName");
        if (string.IsNullOrWhiteSpace(displayName))
        {
            return GraphErrors.BadRequest(http, "BadRequest", "The team's displayName is required.");
        }

        var members = new List<(Guid UserId, bool IsOwner)>();
        foreach (var node in body["members"] as JsonArray ?? [])
        {
            if (node is not JsonObject member || TeamsQuery.UserReference(TeamsQuery.Text(member, "user@odata.bind")) is not { } reference)
            {
                return GraphErrors.BadRequest(http, "BadRequest", "Each member needs 'user@odata.bind'.");
            }

            if (runtime.State.FindUser(caller.TenantId, reference) is not { } user)
            {
                return GraphErrors.NotFound(http, reference);
            }

            var roles = (member["roles"] as JsonArray ?? []).Select(r => r?.GetValue<string>() ?? "");
            members.Add((user.Id, roles.Contains("owner", StringComparer.OrdinalIgnoreCase)));
        }

        if (caller.IsAppOnly && !members.Any(m => m.IsOwner))
        {
            return GraphErrors.BadRequest(http, "BadRequest", "A team created with application permissions needs at least one member with the 'owner' role.");
        }

        if (caller.UserId is { } creator && !members.Any(m => m.UserId == creator))
        {
            members.Insert(0, (creator, true));
        }

        var apps = new List<Guid>();
        foreach (var node in body["installedApps"] as JsonArray ?? [])
        {
            var appId = node is JsonObject app ? TeamsQuery.CatalogAppId(TeamsQuery.Text(app, "teamsApp@odata.bind")) : null;
            if (appId is null || runtime.State.Teams.FindCatalogApp(caller.TenantId, appId.Value) is null)
            {
                return GraphErrors.Result(http, StatusCodes.Status404NotFound, "NotFound", "Not Found");
            }

            apps.Add(appId.Value);
        }

        var visibility = TeamsQuery.Text(body, "visibility")?.ToUpperInvariant() == "PUBLIC" ? "public" : "private";
        var (team, operation) = runtime.State.Teams.StartCreateTeam(caller.TenantId, displayName, TeamsQuery.Text(body, "description"), visibility, members, apps);
        http.Response.Headers.Location = $"/teams('{team.Id}')/operations('{operation.Id}')";
        http.Response.Headers.ContentLocation = $"/teams('{team.Id}')";
        http.Response.ContentLength = 0;
        return Results.StatusCode(StatusCodes.Status202Accepted);
    }

    private static IResult GetOperation(HttpContext http, string teamId, string operationId, SandboxRuntime runtime)
    {
        var caller = GraphCaller.Of(http);
        if (!caller.HasAny(TeamsPermissions.ReadOperation))
        {
            return TeamsErrors.MissingPermissions(http, TeamsPermissions.ReadOperation);
        }

        var operation = Guid.TryParse(teamId, out var team) && Guid.TryParse(operationId, out var op)
            ? runtime.State.Teams.FindOperation(caller.TenantId, team, op)
            : null;
        if (operation is null)
        {
            return TeamsErrors.NotFound(http, $"Operation {operationId} was not found for team {teamId}.");
        }

        var json = TeamsJson.Operation(operation, runtime.Now);
        json.Insert(0, "@odata.context", $"{runtime.Origin}/v1.0/$metadata#teams('{teamId}')/operations/$entity");
        return Results.Json(json);
    }

    private static IResult GetTeam(HttpContext http, string teamId, SandboxRuntime runtime)
    {
        var (team, problem) = Authorize(http, runtime, teamId, TeamsPermissions.ReadTeam);
        if (team is null)
        {
            return problem!;
        }

        var json = TeamsJson.Team(team);
        json.Insert(0, "@odata.context", $"{runtime.Origin}/v1.0/$metadata#teams/$entity");
        return Results.Json(json);
    }

    private static IResult ListChannels(HttpContext http, string teamId, SandboxRuntime runtime)
    {
        var (team, problem) = Authorize(http, runtime, teamId, TeamsPermissions.ReadChannels);
        if (team is null)
        {
            return problem!;
        }

        var channels = runtime.State.Teams.Channels(team.Id).Select(c => (JsonNode)TeamsJson.Channel(c, team)).ToList();
        return Results.Json(TeamsQuery.Page(http, runtime.Origin, $"teams('{team.Id}')/channels", channels, int.MaxValue, 0));
    }

    private static IResult PrimaryChannel(HttpContext http, string teamId, SandboxRuntime runtime)
    {
        var (team, problem) = Authorize(http, runtime, teamId, TeamsPermissions.ReadChannels);
        if (team is null)
        {
            return problem!;
        }

        var json = TeamsJson.Channel(runtime.State.Teams.Channels(team.Id).First(c => c.IsPrimary), team);
        json.Insert(0, "@odata.context", $"{runtime.Origin}/v1.0/$metadata#teams('{team.Id}')/primaryChannel/$entity");
        return Results.Json(json);
    }

    private static IResult GetChannel(HttpContext http, string teamId, string channelId, SandboxRuntime runtime)
    {
        var (team, problem) = Authorize(http, runtime, teamId, TeamsPermissions.ReadChannels);
        if (team is null)
        {
            return problem!;
        }

        return runtime.State.Teams.FindChannel(team.Id, channelId) is { } channel
            ? Results.Json(TeamsJson.Channel(channel, team))
            : ChannelNotFound(http, channelId);
    }

    private static IResult ListTabs(HttpContext http, string teamId, string channelId, SandboxRuntime runtime)
    {
        var (team, problem) = Authorize(http, runtime, teamId, TeamsPermissions.ReadTabs);
        if (team is null)
        {
            return problem!;
        }

        if (runtime.State.Teams.FindChannel(team.Id, channelId) is null)
        {
            return ChannelNotFound(http, channelId);
        }

        var expandApp = TeamsQuery.Expand(http).Contains("TEAMSAPP");
        var tabs = runtime.State.Teams.Tabs(team.Id, channelId)
            .Select(t => (JsonNode)TeamsJson.Tab(t, expandApp ? runtime.State.Teams.FindCatalogApp(team.TenantId, t.TeamsAppId) : null))
            .ToList();
        return Results.Json(TeamsQuery.Page(http, runtime.Origin, $"teams('{team.Id}')/channels('{channelId}')/tabs", tabs, int.MaxValue, 0));
    }

    private static async Task<IResult> AddTab(HttpContext http, string teamId, string channelId, SandboxRuntime runtime)
    {
        var (team, problem) = Authorize(http, runtime, teamId, TeamsPermissions.CreateTab);
        if (team is null)
        {
            return problem!;
        }

        if (runtime.State.Teams.FindChannel(team.Id, channelId) is not { } channel)
        {
            return ChannelNotFound(http, channelId);
        }

        var body = await TeamsQuery.ReadBodyAsync(http);
        var appId = body is null ? null : TeamsQuery.CatalogAppId(TeamsQuery.Text(body, "teamsApp@odata.bind"));
        var displayName = body is null ? null : TeamsQuery.Text(body, "displayName");
        if (appId is null || string.IsNullOrWhiteSpace(displayName))
        {
            return GraphErrors.BadRequest(http, "BadRequest", "A tab needs 'displayName' and 'teamsApp@odata.bind'.");
        }

        if (runtime.State.Teams.FindCatalogApp(team.TenantId, appId.Value) is not { } app)
        {
            return GraphErrors.Result(http, StatusCodes.Status404NotFound, "NotFound", "Not Found");
        }

        if (!runtime.State.Teams.Installations(InstallationScope.Team, team.Id).Any(i => i.TeamsAppId == app.Id))
        {
            return GraphErrors.BadRequest(http, "BadRequest", $"App {app.Id} is not installed in team {team.Id}; install it before adding its tab.");
        }

        var configuration = body!["configuration"] as JsonObject ?? [];
        var tab = runtime.State.Teams.AddTab(team.Id, channel.Id, displayName, app.Id, new TabConfiguration(
            TeamsQuery.Text(configuration, "entityId"),
            TeamsQuery.Text(configuration, "contentUrl"),
            TeamsQuery.Text(configuration, "websiteUrl"),
            TeamsQuery.Text(configuration, "removeUrl")));
        var json = TeamsJson.Tab(tab, null);
        json.Insert(0, "@odata.context", $"{runtime.Origin}/v1.0/$metadata#teams('{team.Id}')/channels('{channel.Id}')/tabs/$entity");
        return Results.Json(json, statusCode: StatusCodes.Status201Created);
    }

    private static IResult ListMembers(HttpContext http, string teamId, SandboxRuntime runtime)
    {
        var (team, problem) = Authorize(http, runtime, teamId, TeamsPermissions.ReadMembers);
        if (team is null)
        {
            return problem!;
        }

        var members = runtime.State.Teams.Members(team.Id)
            .Select(m => (Member: m, User: runtime.State.FindUser(m.UserId)))
            .OrderBy(m => m.User?.DisplayName, StringComparer.Ordinal).ThenBy(m => m.Member.UserId)
            .AsEnumerable();
        var filter = http.Request.Query["$filter"].ToString();
        if (filter.Length > 0)
        {
            var clauses = TeamsQuery.EqualsClauses(filter);
            if (clauses is null)
            {
                return TeamsQuery.UnsupportedFilter(http, filter);
            }

            foreach (var (property, value) in clauses)
            {
                Func<(TeamMember Member, User? User), string?>? get = property.Replace("MICROSOFT.GRAPH.AADUSERCONVERSATIONMEMBER/", "", StringComparison.Ordinal) switch
                {
                    "USERID" => m => m.Member.UserId.ToString(),
                    "EMAIL" => m => m.User?.Mail ?? m.User?.UserPrincipalName,
                    "DISPLAYNAME" => m => m.User?.DisplayName,
                    _ => null,
                };
                if (get is null)
                {
                    return TeamsQuery.UnsupportedFilter(http, filter);
                }

                members = members.Where(m => string.Equals(get(m), value, StringComparison.OrdinalIgnoreCase));
            }
        }

        if (TeamsQuery.ReadPaging(http, runtime.State.Teams.Settings(team.TenantId).MembersPageSize, out var top, out var skip) is { } paging)
        {
            return paging;
        }

        var all = members.Select(m => (JsonNode)TeamsJson.Member(m.Member, m.User, team.TenantId)).ToList();
        return Results.Json(TeamsQuery.Page(http, runtime.Origin, $"teams('{team.Id}')/members", all, top, skip, alwaysCount: true));
    }

    private static IResult JoinedTeams(HttpContext http, string idOrUpn, SandboxRuntime runtime)
    {
        var caller = GraphCaller.Of(http);
        if (!caller.HasAny(TeamsPermissions.JoinedTeams))
        {
            return TeamsErrors.MissingPermissions(http, TeamsPermissions.JoinedTeams);
        }

        if (runtime.State.FindUser(caller.TenantId, idOrUpn) is not { } user)
        {
            return GraphErrors.NotFound(http, idOrUpn);
        }

        var teams = runtime.State.Teams.JoinedTeams(user.Id).Select(t => (JsonNode)TeamsJson.TeamSummary(t)).ToList();
        return Results.Json(TeamsQuery.Page(http, runtime.Origin, "teams", teams, int.MaxValue, 0));
    }

    private static IResult ChannelNotFound(HttpContext http, string channelId) =>
        TeamsErrors.NotFound(http, $"Channel {channelId} was not found.");
}
