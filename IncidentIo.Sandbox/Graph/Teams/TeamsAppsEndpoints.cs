using System.Text.Json.Nodes;
using IncidentIo.Sandbox.Hosting;
using IncidentIo.Sandbox.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace IncidentIo.Sandbox.Graph.Teams;

/// <summary>
/// Apps installed in teams (<c>/teams/{id}/installedApps</c>) and for users
/// (<c>/users/{id}/teamwork/installedApps</c>), and the tenant app catalog
/// (<c>/appCatalogs/teamsApps</c>).
/// </summary>
public static class TeamsAppsEndpoints
{
    public static void MapTeamsApps(this IEndpointRouteBuilder graph)
    {
        graph.MapGet("/teams/{teamId}/installedApps", ListTeamApps);
        graph.MapPost("/teams/{teamId}/installedApps", InstallInTeam);
        graph.MapGet("/teams/{teamId}/installedApps/{installationId}", GetTeamApp);
        graph.MapDelete("/teams/{teamId}/installedApps/{installationId}", UninstallFromTeam);
        graph.MapGet("/users/{idOrUpn}/teamwork/installedApps", ListUserApps);
        graph.MapPost("/users/{idOrUpn}/teamwork/installedApps", InstallForUser);
        graph.MapGet("/users/{idOrUpn}/teamwork/installedApps/{installationId}", GetUserApp);
        graph.MapGet("/users/{idOrUpn}/teamwork/installedApps/{installationId}/chat", GetUserAppChat);
        graph.MapDelete("/users/{idOrUpn}/teamwork/installedApps/{installationId}", UninstallForUser);
        graph.MapGet("/me/teamwork/installedApps", (HttpContext http, SandboxRuntime r) => TeamsEndpoints.AsMe(http, me => ListUserApps(http, me, r)));
        graph.MapPost("/me/teamwork/installedApps", (HttpContext http, SandboxRuntime r) => TeamsEndpoints.AsMe(http, me => InstallForUser(http, me, r)));
        graph.MapGet("/me/teamwork/installedApps/{installationId}", (HttpContext http, string installationId, SandboxRuntime r) =>
            TeamsEndpoints.AsMe(http, me => GetUserApp(http, me, installationId, r)));
        graph.MapGet("/me/teamwork/installedApps/{installationId}/chat", (HttpContext http, string installationId, SandboxRuntime r) =>
            TeamsEndpoints.AsMe(http, me => GetUserAppChat(http, me, installationId, r)));
        graph.MapDelete("/me/teamwork/installedApps/{installationId}", (HttpContext http, string installationId, SandboxRuntime r) =>
            TeamsEndpoints.AsMe(http, me => UninstallForUser(http, me, installationId, r)));
        graph.MapGet("/appCatalogs/teamsApps", ListCatalog);
    }

    private static IResult ListTeamApps(HttpContext http, string teamId, SandboxRuntime runtime)
    {
        var (team, problem) = TeamsEndpoints.Authorize(http, runtime, teamId, TeamsPermissions.ReadTeamApps);
        return team is null
            ? problem!
            : ListInstallations(http, runtime, InstallationScope.Team, team.Id, team.TenantId, TeamsPermissions.ReadTeamApps, $"teams('{team.Id}')/installedApps");
    }

    private static IResult GetTeamApp(HttpContext http, string teamId, string installationId, SandboxRuntime runtime)
    {
        var (team, problem) = TeamsEndpoints.Authorize(http, runtime, teamId, TeamsPermissions.ReadTeamApps);
        return team is null ? problem! : GetInstallation(http, runtime, InstallationScope.Team, team.Id, team.TenantId, TeamsPermissions.ReadTeamApps, installationId);
    }

    private static async Task<IResult> InstallInTeam(HttpContext http, string teamId, SandboxRuntime runtime)
    {
        var (team, problem) = TeamsEndpoints.Authorize(http, runtime, teamId, TeamsPermissions.WriteTeamApps);
        if (team is null)
        {
            return problem!;
        }

        var (app, body, invalid) = await ReadAppToInstall(http, runtime, team.TenantId);
        if (app is null)
        {
            return invalid!;
        }

        if (!TeamsPermissions.CanManage(GraphCaller.Of(http), TeamsPermissions.WriteTeamApps, app))
        {
            return NotAllowedToManage(http, app);
        }

        if (TeamsAppConsent.Check(http, app, body!, InstallationScope.Team) is { } notConsented)
        {
            return notConsented;
        }

        if (runtime.State.Teams.InstallInTeam(team.TenantId, team.Id, app.Id) is null)
        {
            return AlreadyInstalled(http, app, team.GeneralChannelId);
        }

        // Graph answers 200 with no body here (a user install is 201).
        http.Response.ContentLength = 0;
        return Results.StatusCode(StatusCodes.Status200OK);
    }

    private static IResult UninstallFromTeam(HttpContext http, string teamId, string installationId, SandboxRuntime runtime)
    {
        var (team, problem) = TeamsEndpoints.Authorize(http, runtime, teamId, TeamsPermissions.WriteTeamApps);
        if (team is null)
        {
            return problem!;
        }

        return Uninstall(http, runtime, InstallationScope.Team, team.Id, team.TenantId, TeamsPermissions.WriteTeamApps, installationId);
    }

    private static IResult ListUserApps(HttpContext http, string idOrUpn, SandboxRuntime runtime)
    {
        var (user, problem) = AuthorizeUser(http, runtime, idOrUpn, TeamsPermissions.ReadUserApps);
        return user is null
            ? problem!
            : ListInstallations(http, runtime, InstallationScope.User, user.Id, user.TenantId, TeamsPermissions.ReadUserApps, $"users('{user.Id}')/teamwork/installedApps");
    }

    private static IResult GetUserApp(HttpContext http, string idOrUpn, string installationId, SandboxRuntime runtime)
    {
        var (user, problem) = AuthorizeUser(http, runtime, idOrUpn, TeamsPermissions.ReadUserApps);
        return user is null ? problem! : GetInstallation(http, runtime, InstallationScope.User, user.Id, user.TenantId, TeamsPermissions.ReadUserApps, installationId);
    }

    private static IResult GetUserAppChat(HttpContext http, string idOrUpn, string installationId, SandboxRuntime runtime)
    {
        var (user, problem) = AuthorizeUser(http, runtime, idOrUpn, TeamsPermissions.ReadUserApps);
        if (user is null)
        {
            return problem!;
        }

        var installation = runtime.State.Teams.FindInstallation(InstallationScope.User, user.Id, installationId);
        var app = installation is null ? null : runtime.State.Teams.FindCatalogApp(user.TenantId, installation.TeamsAppId);
        if (installation is null || app is null)
        {
            return InstallationNotFound(http, installationId);
        }

        if (!TeamsPermissions.CanManage(GraphCaller.Of(http), TeamsPermissions.ReadUserApps, app))
        {
            return NotAllowedToManage(http, app);
        }

        if (installation.AwaitingTeamsClient)
        {
            // The chat appears once the user's Teams client completes the install.
            return GraphErrors.Result(http, StatusCodes.Status404NotFound, "NotFound", "Not Found");
        }

        var json = TeamsJson.Chat(installation.ChatIdFor(app), installation);
        json.Insert(0, "@odata.context", $"{runtime.Origin}/v1.0/$metadata#chats/$entity");
        return Results.Json(json);
    }

    private static async Task<IResult> InstallForUser(HttpContext http, string idOrUpn, SandboxRuntime runtime)
    {
        var (user, problem) = AuthorizeUser(http, runtime, idOrUpn, TeamsPermissions.WriteUserApps);
        if (user is null)
        {
            return problem!;
        }

        var (app, body, invalid) = await ReadAppToInstall(http, runtime, user.TenantId);
        if (app is null)
        {
            return invalid!;
        }

        if (!TeamsPermissions.CanManage(GraphCaller.Of(http), TeamsPermissions.WriteUserApps, app))
        {
            return NotAllowedToManage(http, app);
        }

        if (TeamsAppConsent.Check(http, app, body!, InstallationScope.User) is { } notConsented)
        {
            return notConsented;
        }

        if (user.BlockedByPolicy)
        {
            return BlockedByPolicy(http, user, app);
        }

        var teams = runtime.State.Teams;
        var awaiting = false;
        if (!teams.HasOpenedTeams(user))
        {
            switch (teams.Settings(user.TenantId).NeverOpenedTeamsInstall)
            {
                case NeverOpenedTeamsInstall.NotFound:
                    return GraphErrors.Result(http, StatusCodes.Status404NotFound, "NotFound", "Not Found");
                case NeverOpenedTeamsInstall.Deferred:
                    awaiting = true;
                    break;
                default:
                    break;
            }
        }

        if (teams.InstallForUser(user.TenantId, user.Id, app.Id, awaiting) is null)
        {
            return AlreadyInstalled(http, app, $"19:{user.Id}_{app.BotId ?? app.ManifestId}@unq.gbl.spaces");
        }

        http.Response.ContentLength = 0;
        return Results.StatusCode(StatusCodes.Status201Created);
    }

    private static IResult UninstallForUser(HttpContext http, string idOrUpn, string installationId, SandboxRuntime runtime)
    {
        var (user, problem) = AuthorizeUser(http, runtime, idOrUpn, TeamsPermissions.WriteUserApps);
        if (user is null)
        {
            return problem!;
        }

        return Uninstall(http, runtime, InstallationScope.User, user.Id, user.TenantId, TeamsPermissions.WriteUserApps, installationId);
    }

    private static IResult ListCatalog(HttpContext http, SandboxRuntime runtime)
    {
        var caller = GraphCaller.Of(http);
        if (!caller.HasAny(TeamsPermissions.ReadCatalog))
        {
            return TeamsErrors.MissingPermissions(http, TeamsPermissions.ReadCatalog);
        }

        var apps = runtime.State.Teams.CatalogApps(caller.TenantId).AsEnumerable();
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
                Func<CatalogApp, string?>? get = property switch
                {
                    "EXTERNALID" => a => a.ExternalId,
                    "ID" => a => a.Id.ToString(),
                    "DISTRIBUTIONMETHOD" => a => a.DistributionMethod,
                    "DISPLAYNAME" => a => a.DisplayName,
                    _ => null,
                };
                if (get is null)
                {
                    return TeamsQuery.UnsupportedFilter(http, filter);
                }

                apps = apps.Where(a => string.Equals(get(a), value, StringComparison.OrdinalIgnoreCase));
            }
        }

        var expandDefinitions = TeamsQuery.Expand(http).Contains("APPDEFINITIONS");
        var items = apps.Select(a =>
        {
            var json = TeamsJson.App(a);
            if (expandDefinitions)
            {
                json["appDefinitions"] = new JsonArray(TeamsJson.Definition(a));
            }

            return (JsonNode)json;
        }).ToList();
        return Results.Json(TeamsQuery.Page(http, runtime.Origin, "appCatalogs/teamsApps", items, int.MaxValue, 0));
    }

    private static IResult ListInstallations(
        HttpContext http, SandboxRuntime runtime, InstallationScope scope, Guid targetId, Guid tenantId, Permissions permissions, string context)
    {
        var teams = runtime.State.Teams;
        var caller = GraphCaller.Of(http);
        // "Self" permissions see only the caller's own app, as Graph lists nothing else for them.
        var installations = teams.Installations(scope, targetId)
            .Select(i => (Installation: i, App: teams.FindCatalogApp(tenantId, i.TeamsAppId)))
            .Where(i => i.App is not null && TeamsPermissions.CanManage(caller, permissions, i.App));
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
                Func<CatalogApp, string?>? get = property switch
                {
                    "TEAMSAPP/EXTERNALID" => a => a.ExternalId,
                    "TEAMSAPP/ID" or "TEAMSAPPDEFINITION/TEAMSAPPID" => a => a.Id.ToString(),
                    "TEAMSAPP/DISPLAYNAME" => a => a.DisplayName,
                    _ => null,
                };
                if (get is null)
                {
                    return TeamsQuery.UnsupportedFilter(http, filter);
                }

                installations = installations.Where(i => i.App is not null && string.Equals(get(i.App), value, StringComparison.OrdinalIgnoreCase));
            }
        }

        var expand = TeamsQuery.Expand(http);
        var items = installations
            .Select(i => (JsonNode)TeamsJson.Installation(i.Installation, i.App, expand.Contains("TEAMSAPP"), expand.Contains("TEAMSAPPDEFINITION")))
            .ToList();
        return Results.Json(TeamsQuery.Page(http, runtime.Origin, context, items, int.MaxValue, 0, alwaysCount: true));
    }

    private static IResult GetInstallation(
        HttpContext http, SandboxRuntime runtime, InstallationScope scope, Guid targetId, Guid tenantId, Permissions permissions, string installationId)
    {
        var installation = runtime.State.Teams.FindInstallation(scope, targetId, installationId);
        var app = installation is null ? null : runtime.State.Teams.FindCatalogApp(tenantId, installation.TeamsAppId);
        if (installation is null || app is null)
        {
            return InstallationNotFound(http, installationId);
        }

        if (!TeamsPermissions.CanManage(GraphCaller.Of(http), permissions, app))
        {
            return NotAllowedToManage(http, app);
        }

        var expand = TeamsQuery.Expand(http);
        return Results.Json(TeamsJson.Installation(installation, app, expand.Contains("TEAMSAPP"), expand.Contains("TEAMSAPPDEFINITION")));
    }

    private static (User? User, IResult? Problem) AuthorizeUser(HttpContext http, SandboxRuntime runtime, string idOrUpn, Permissions permissions)
    {
        var caller = GraphCaller.Of(http);
        if (!caller.HasAny(permissions))
        {
            return (null, TeamsErrors.MissingPermissions(http, permissions));
        }

        var user = runtime.State.FindUser(caller.TenantId, idOrUpn);
        return user is null ? (null, GraphErrors.NotFound(http, idOrUpn)) : (user, null);
    }

    /// <summary>The catalog app bound in the body; unknown ids are 404 "Not Found", as Graph reports them.</summary>
    private static async Task<(CatalogApp? App, JsonObject? Body, IResult? Problem)> ReadAppToInstall(HttpContext http, SandboxRuntime runtime, Guid tenantId)
    {
        var body = await TeamsQuery.ReadBodyAsync(http);
        var appId = body is null ? null : TeamsQuery.CatalogAppId(TeamsQuery.Text(body, "teamsApp@odata.bind"));
        if (appId is null)
        {
            return (null, null, GraphErrors.BadRequest(http, "BadRequest", "The body needs 'teamsApp@odata.bind' naming an app catalog id."));
        }

        var app = runtime.State.Teams.FindCatalogApp(tenantId, appId.Value);
        return app is null ? (null, null, GraphErrors.Result(http, StatusCodes.Status404NotFound, "NotFound", "Not Found")) : (app, body, null);
    }

    private static IResult Uninstall(
        HttpContext http, SandboxRuntime runtime, InstallationScope scope, Guid targetId, Guid tenantId, Permissions permissions, string installationId)
    {
        var installation = runtime.State.Teams.FindInstallation(scope, targetId, installationId);
        if (installation is null)
        {
            return InstallationNotFound(http, installationId);
        }

        if (runtime.State.Teams.FindCatalogApp(tenantId, installation.TeamsAppId) is { } app && !TeamsPermissions.CanManage(GraphCaller.Of(http), permissions, app))
        {
            return NotAllowedToManage(http, app);
        }

        return runtime.State.Teams.Uninstall(scope, targetId, installationId) ? Results.NoContent() : InstallationNotFound(http, installationId);
    }

    /// <summary>A "Self" permission used on an app whose manifest names another Entra app (wording as reported).</summary>
    private static IResult NotAllowedToManage(HttpContext http, CatalogApp app) =>
        GraphErrors.Result(http, StatusCodes.Status403Forbidden, "Forbidden", $"AAD App Id '{GraphCaller.Of(http).ClientId}' is not allowed to manage the Teams App '{app.Id}'.");

    private static IResult AlreadyInstalled(HttpContext http, CatalogApp app, string threadId) =>
        GraphErrors.Result(http, StatusCodes.Status409Conflict, "Conflict", $"AppEntitlement id: '{app.Id}' already exists in thread '{threadId}'.");

    private static IResult InstallationNotFound(HttpContext http, string installationId) =>
        TeamsErrors.NotFound(http, $"App installation {installationId} was not found.");

    /// <summary>403 <c>Forbidden</c> with inner <c>AccessDenied</c>, the shape seen for an app permission policy block.</summary>
    private static IResult BlockedByPolicy(HttpContext http, User user, CatalogApp app)
    {
        var message = $"App is blocked by app permission policy. TenantId: {user.TenantId}, UserObjectId: {user.Id}, AppId: {app.Id}, AppType: Private";
        var envelope = GraphErrors.Envelope(http, "Forbidden", message);
        var inner = (JsonObject)envelope["error"]!["innerError"]!;
        inner.Insert(0, "code", "AccessDenied");
        inner.Insert(1, "message", message);
        return Results.Json(envelope, statusCode: StatusCodes.Status403Forbidden);
    }
}
