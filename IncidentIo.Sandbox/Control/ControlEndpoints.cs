using IncidentIo.Sandbox.Hosting;
using IncidentIo.Sandbox.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace IncidentIo.Sandbox.Control;

/// <summary>
/// The Sandbox's own JSON API for tests, demos and support: look at tenants, users, apps and
/// grants, and add users. Not part of any Microsoft surface, hence its own <c>/sandbox</c> prefix.
/// </summary>
public static class ControlEndpoints
{
    public static void MapControl(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/sandbox/api");
        api.MapGet("/tenants", (SandboxRuntime r) => r.State.Tenants());
        api.MapGet("/tenants/{tenant}/users", (string tenant, SandboxRuntime r) =>
            r.State.FindTenant(tenant) is { } t ? Results.Ok(r.State.Users(t.Id)) : Results.NotFound());
        api.MapPost("/tenants/{tenant}/users", AddUser);
        api.MapGet("/apps", (SandboxRuntime r) => r.State.Apps().Select(a => new
        {
            a.ClientId,
            a.DisplayName,
            a.RedirectUris,
            a.ApplicationPermissions,
            a.DelegatedScopes,
            a.HomeTenantId,
        }));
        api.MapGet("/grants", (SandboxRuntime r) => r.State.Grants().Select(g => new
        {
            g.TenantId,
            g.ClientId,
            g.ApplicationRoles,
            g.TenantDelegatedScopes,
            UserDelegatedScopes = g.UserDelegatedScopes.ToDictionary(p => p.Key.ToString(), p => p.Value),
            g.AdminConsentedAt,
        }));
        // What an admin does by deleting the app's enterprise application in Entra.
        api.MapDelete("/tenants/{tenant}/grants/{clientId}", (string tenant, string clientId, SandboxRuntime r) =>
            r.State.FindTenant(tenant) is { } t && r.State.RevokeGrant(t.Id, clientId) ? Results.NoContent() : Results.NotFound());
    }

    private static IResult AddUser(string tenant, NewUser body, SandboxRuntime runtime)
    {
        var found = runtime.State.FindTenant(tenant);
        if (found is null)
        {
            return Results.NotFound();
        }

        if (string.IsNullOrWhiteSpace(body.UserPrincipalName) || !body.UserPrincipalName.Contains('@', StringComparison.Ordinal)
            || string.IsNullOrWhiteSpace(body.DisplayName))
        {
            return Results.BadRequest(new { error = "userPrincipalName (an address) and displayName are required." });
        }

        if (runtime.State.FindUserByUpn(body.UserPrincipalName) is not null)
        {
            return Results.Conflict(new { error = $"{body.UserPrincipalName} already exists." });
        }

        var user = runtime.State.AddUser(new User(
            body.Id ?? Guid.NewGuid(), found.Id, body.UserPrincipalName, body.DisplayName, body.Mail ?? body.UserPrincipalName,
            body.IsGlobalAdmin, body.BlockedByPolicy, body.NeverOpenedTeams));
        return Results.Created($"/sandbox/api/tenants/{found.Id}/users/{user.Id}", user);
    }

    /// <summary>The body of <c>POST /sandbox/api/tenants/{tenant}/users</c>.</summary>
    public sealed record NewUser(
        string UserPrincipalName,
        string DisplayName,
        string? Mail = null,
        Guid? Id = null,
        bool IsGlobalAdmin = false,
        bool BlockedByPolicy = false,
        bool NeverOpenedTeams = false);
}
