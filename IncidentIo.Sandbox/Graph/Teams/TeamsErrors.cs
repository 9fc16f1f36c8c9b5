using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace IncidentIo.Sandbox.Graph.Teams;

/// <summary>
/// Errors in the shapes the Teams workload of Graph answers with (observed in public issue
/// reports): 403 <c>Forbidden</c> naming the permissions the API wants and the ones the token has,
/// and 404 <c>NotFound</c> with an inner <c>ItemNotFound</c>.
/// </summary>
public static class TeamsErrors
{
    public static IResult MissingPermissions(HttpContext http, Permissions permissions)
    {
        var caller = GraphCaller.Of(http);
        var message = caller.IsAppOnly
            ? $"Missing role permissions on the request. API requires one of '{string.Join(", ", permissions.Application)}'. Roles on the request '{string.Join(", ", caller.Roles.Order(StringComparer.Ordinal))}'."
            : $"Missing scope permissions on the request. API requires one of '{string.Join(", ", permissions.Delegated)}'. Scopes on the request '{string.Join(", ", caller.Scopes.Order(StringComparer.Ordinal))}'.";
        return GraphErrors.Result(http, StatusCodes.Status403Forbidden, "Forbidden", message);
    }

    public static IResult NotFound(HttpContext http, string message)
    {
        var envelope = GraphErrors.Envelope(http, "NotFound", message);
        var inner = (JsonObject)envelope["error"]!["innerError"]!;
        inner.Insert(0, "message", message);
        inner.Insert(1, "code", "ItemNotFound");
        return Results.Json(envelope, statusCode: StatusCodes.Status404NotFound);
    }
}
