using IncidentIo.Sandbox.Hosting;
using IncidentIo.Sandbox.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace IncidentIo.Sandbox.Control;

/// <summary>
/// The control API's Teams part: list a tenant's teams (being created and failed ones too, with
/// their apps and General's tabs), create one (ready at once), add and remove members, install an
/// app in a team by hand, publish to the tenant's app catalog, and let a user open Teams for the
/// first time.
/// Users are named by object id or UPN.
/// </summary>
public static class TeamsControlEndpoints
{
    public static void MapTeamsControl(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/sandbox/api/tenants/{tenant}");
        api.MapGet("/teams", ListTeams);
        api.MapPost("/teams", CreateTeam);
        api.MapPost("/teams/{teamId:guid}/members", AddMember);
        api.MapDelete("/teams/{teamId:guid}/members/{user}", RemoveMember);
        api.MapPost("/teams/{teamId:guid}/installed-apps", InstallInTeam);
        api.MapGet("/teams-apps", (string tenant, SandboxRuntime r) =>
            r.State.FindTenant(tenant) is { } t ? Results.Ok(r.State.Teams.CatalogApps(t.Id)) : Results.NotFound());
        api.MapPost("/teams-apps", PublishApp);
        api.MapPost("/users/{user}/open-teams", OpenTeams);
    }

    private static IResult ListTeams(string tenant, SandboxRuntime runtime)
    {
        if (runtime.State.FindTenant(tenant) is not { } found)
        {
            return Results.NotFound();
        }

        var teams = runtime.State.Teams;
        return Results.Ok(teams.AllTeams(found.Id).Select(t => new
        {
            t.Id,
            t.DisplayName,
            Status = teams.StatusOf(t),
            t.Description,
            t.Visibility,
            t.CreatedDateTime,
            t.IsArchived,
            t.GeneralChannelId,
            Members = teams.Members(t.Id).Select(m => new { m.UserId, runtime.State.FindUser(m.UserId)?.UserPrincipalName, m.IsOwner }),
            // The control API names apps by manifest id ("externalId"), whichever way they reached the catalog.
            InstalledApps = teams.Installations(InstallationScope.Team, t.Id).Select(i => teams.FindCatalogApp(found.Id, i.TeamsAppId) is var app
                ? new { i.Id, i.TeamsAppId, ExternalId = app?.ManifestId, app?.DistributionMethod }
                : null),
            GeneralTabs = teams.Tabs(t.Id, t.GeneralChannelId).Select(tab => new { tab.Id, tab.DisplayName, tab.TeamsAppId, tab.Configuration.ContentUrl }),
        }));
    }

    private static IResult CreateTeam(string tenant, NewTeam body, SandboxRuntime runtime)
    {
        if (runtime.State.FindTenant(tenant) is not { } found)
        {
            return Results.NotFound();
        }

        if (string.IsNullOrWhiteSpace(body.DisplayName))
        {
            return Results.BadRequest(new { error = "displayName is required." });
        }

        var members = new List<(Guid, bool)>();
        foreach (var member in body.Members ?? [])
        {
            if (runtime.State.FindUser(found.Id, member.User) is not { } user)
            {
                return Results.BadRequest(new { error = $"No user {member.User} in {found.DisplayName}." });
            }

            members.Add((user.Id, member.Owner));
        }

        try
        {
            var team = runtime.State.Teams.CreateTeam(found.Id, body.DisplayName, body.Description, members, body.Id);
            return Results.Created($"/sandbox/api/tenants/{found.Id}/teams/{team.Id}", team);
        }
        catch (InvalidOperationException e)
        {
            return Results.Conflict(new { error = e.Message });
        }
    }

    private static IResult AddMember(string tenant, Guid teamId, NewMember body, SandboxRuntime runtime) =>
        runtime.State.FindTenant(tenant) is { } found && runtime.State.FindUser(found.Id, body.User) is { } user
            && runtime.State.Teams.AddMember(teamId, user.Id, body.Owner)
            ? Results.Ok(new { teamId, userId = user.Id, body.Owner })
            : Results.NotFound();

    private static IResult RemoveMember(string tenant, Guid teamId, string user, SandboxRuntime runtime) =>
        runtime.State.FindTenant(tenant) is { } found && runtime.State.FindUser(found.Id, user) is { } member
            && runtime.State.Teams.RemoveMember(teamId, member.Id)
            ? Results.NoContent()
            : Results.NotFound();

    /// <summary>What an admin does in Teams with Manage team → Apps → Add: <c>{"externalId"}</c> of a catalog app.</summary>
    private static IResult InstallInTeam(string tenant, Guid teamId, NewTeamInstall body, SandboxRuntime runtime)
    {
        if (runtime.State.FindTenant(tenant) is not { } found || runtime.State.Teams.FindTeam(found.Id, teamId) is null)
        {
            return Results.NotFound();
        }

        // By manifest id, whichever way the app reached the catalog; the tenant's own upload first when it has both.
        var app = runtime.State.Teams.CatalogApps(found.Id)
            .Where(a => a.ManifestId.Equals(body.ExternalId, StringComparison.OrdinalIgnoreCase))
            .OrderBy(a => a.DistributionMethod == TeamsAppDistribution.Store ? 1 : 0).FirstOrDefault();
        if (app is null)
        {
            return Results.BadRequest(new { error = $"No app {body.ExternalId} in {found.DisplayName}'s catalog." });
        }

        return runtime.State.Teams.InstallInTeam(found.Id, teamId, app.Id) is { } installation
            ? Results.Ok(installation)
            : Results.Conflict(new { error = "The app is already installed in the team." });
    }

    private static IResult PublishApp(string tenant, NewCatalogApp body, SandboxRuntime runtime)
    {
        if (runtime.State.FindTenant(tenant) is not { } found)
        {
            return Results.NotFound();
        }

        if (string.IsNullOrWhiteSpace(body.ExternalId) || string.IsNullOrWhiteSpace(body.DisplayName) || string.IsNullOrWhiteSpace(body.Version))
        {
            return Results.BadRequest(new { error = "externalId, displayName and version are required." });
        }

        // Without one, the tenant's own upload, as this endpoint always published.
        var distribution = body.DistributionMethod is null ? TeamsAppDistribution.Organization : TeamsAppDistribution.Parse(body.DistributionMethod);
        if (distribution is null)
        {
            return Results.BadRequest(new { error = $"distributionMethod must be one of {string.Join(", ", TeamsAppDistribution.All)}, not '{body.DistributionMethod}'." });
        }

        if (distribution == TeamsAppDistribution.Store && !Guid.TryParse(body.ExternalId, out _))
        {
            return Results.BadRequest(new { error = $"A Store app's catalog id is its manifest id, which must be a GUID, not '{body.ExternalId}'." });
        }

        if (body.ResourceSpecificPermissions?.Any(p => string.IsNullOrWhiteSpace(p.Name) || p.Type is not ("Application" or "Delegated")) == true)
        {
            return Results.BadRequest(new { error = "Each resourceSpecificPermissions entry needs a name and a type of Application or Delegated." });
        }

        return Results.Ok(runtime.State.Teams.PublishApp(
            found.Id, body.ExternalId, body.DisplayName, body.Version, body.BotId, body.AzureAdAppId, body.ConfigurationUrl, distribution, body.ResourceSpecificPermissions));
    }

    private static IResult OpenTeams(string tenant, string user, SandboxRuntime runtime)
    {
        if (runtime.State.FindTenant(tenant) is not { } found || runtime.State.FindUser(found.Id, user) is not { } opener)
        {
            return Results.NotFound();
        }

        runtime.State.Teams.OpenTeams(opener.Id);
        return Results.NoContent();
    }

    /// <summary>The body of <c>POST /sandbox/api/tenants/{tenant}/teams</c>.</summary>
    public sealed record NewTeam(string DisplayName, string? Description = null, IReadOnlyList<NewMember>? Members = null, Guid? Id = null);

    /// <summary>A member to add: user object id or UPN, and whether they own the team.</summary>
    public sealed record NewMember(string User, bool Owner = false);

    /// <summary>The body of <c>POST /sandbox/api/tenants/{tenant}/teams/{teamId}/installed-apps</c>.</summary>
    public sealed record NewTeamInstall(string ExternalId);

    /// <summary>The body of <c>POST /sandbox/api/tenants/{tenant}/teams-apps</c>.</summary>
    /// <remarks><c>distributionMethod</c>: <c>organization</c> (when left out), <c>store</c> (the manifest id, a GUID, becomes the catalog id) or <c>sideloaded</c>.</remarks>
    public sealed record NewCatalogApp(
        string ExternalId, string DisplayName, string Version, string? BotId = null, string? AzureAdAppId = null, string? ConfigurationUrl = null, string? DistributionMethod = null,
        IReadOnlyList<RscEntry>? ResourceSpecificPermissions = null);
}
