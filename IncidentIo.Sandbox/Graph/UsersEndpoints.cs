using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using IncidentIo.Sandbox.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;

namespace IncidentIo.Sandbox.Graph;

/// <summary>
/// <c>/me</c>, <c>/users</c> (paged; <c>$top</c>, <c>$select</c>, <c>$filter</c>, <c>$orderby</c>, <c>$count</c>)
/// and <c>/users/{id|upn}</c>.
/// </summary>
public static class UsersEndpoints
{
    public const int DefaultPageSize = 100;
    public const int MaxPageSize = 999;

    private static readonly Permissions ReadUsers = new(
        ["User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All"],
        ["User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"]);

    private static readonly Permissions ReadMe = new(
        ["User.Read", "User.ReadWrite", "User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All"],
        []);

    public static void MapUsers(this IEndpointRouteBuilder graph)
    {
        graph.MapGet("/me", Me);
        graph.MapGet("/users", List);
        graph.MapGet("/users/{idOrUpn}", Get);
    }

    private static IResult Me(HttpContext http, SandboxRuntime runtime)
    {
        var caller = GraphCaller.Of(http);
        if (caller.IsAppOnly)
        {
            return GraphErrors.BadRequest(http, "BadRequest", "/me request is only valid with delegated authentication flow.");
        }

        if (!caller.HasAny(ReadMe))
        {
            return GraphErrors.Forbidden(http);
        }

        var (properties, unknown) = UserJson.ParseSelect(http.Request.Query["$select"]);
        if (unknown is not null)
        {
            return UnknownProperty(http, unknown);
        }

        var user = runtime.State.FindUser(caller.UserId!.Value)!;
        var json = UserJson.Write(user, properties);
        json.Insert(0, "@odata.context", $"{runtime.Origin}/v1.0/$metadata#users/$entity");
        return Results.Json(json);
    }

    private static IResult Get(HttpContext http, string idOrUpn, SandboxRuntime runtime)
    {
        var caller = GraphCaller.Of(http);
        if (!caller.HasAny(ReadUsers))
        {
            return GraphErrors.Forbidden(http);
        }

        var (properties, unknown) = UserJson.ParseSelect(http.Request.Query["$select"]);
        if (unknown is not null)
        {
            return UnknownProperty(http, unknown);
        }

        var user = runtime.State.FindUser(caller.TenantId, idOrUpn);
        if (user is null)
        {
            return GraphErrors.NotFound(http, idOrUpn);
        }

        var json = UserJson.Write(user, properties);
        json.Insert(0, "@odata.context", $"{runtime.Origin}/v1.0/$metadata#users/$entity");
        return Results.Json(json);
    }

    private static IResult List(HttpContext http, SandboxRuntime runtime)
    {
        var caller = GraphCaller.Of(http);
        if (!caller.HasAny(ReadUsers))
        {
            return GraphErrors.Forbidden(http);
        }

        var query = http.Request.Query;
        var (properties, unknown) = UserJson.ParseSelect(query["$select"]);
        if (unknown is not null)
        {
            return UnknownProperty(http, unknown);
        }

        var top = DefaultPageSize;
        if (!string.IsNullOrEmpty(query["$top"]) && (!int.TryParse(query["$top"], CultureInfo.InvariantCulture, out top) || top is < 1 or > MaxPageSize))
        {
            return GraphErrors.BadRequest(http, "Request_BadRequest", $"Invalid page size specified: '{query["$top"]}'. Must be between 1 and {MaxPageSize} inclusive.");
        }

        var skip = 0;
        if (!string.IsNullOrEmpty(query["$skiptoken"]) && !TryReadSkipToken(query["$skiptoken"]!, out skip))
        {
            return GraphErrors.BadRequest(http, "Request_BadRequest", "Invalid skip token.");
        }

        var users = runtime.State.Users(caller.TenantId).AsEnumerable();
        var filter = query["$filter"].ToString();
        if (filter.Length > 0)
        {
            var predicate = UserFilter.Parse(filter);
            if (predicate is null)
            {
                return GraphErrors.BadRequest(http, "Request_UnsupportedQuery", $"Unsupported or invalid query filter clause specified: '{filter}'.");
            }

            users = users.Where(predicate);
        }

        var orderBy = query["$orderby"].ToString();
        if (orderBy.Length > 0)
        {
            var (property, descending) = ParseOrderBy(orderBy);
            if (property is null)
            {
                return GraphErrors.BadRequest(http, "Request_UnsupportedQuery", $"Unsupported sort property '{orderBy}' for '$orderby'.");
            }

            users = descending ? users.OrderByDescending(property, StringComparer.OrdinalIgnoreCase) : users.OrderBy(property, StringComparer.OrdinalIgnoreCase);
        }

        var all = users.ToList();
        var page = all.Skip(skip).Take(top).Select(u => (JsonNode)UserJson.Write(u, properties)).ToArray();
        var context = query.ContainsKey("$select") ? $"users({string.Join(',', properties)})" : "users";
        var body = new JsonObject { ["@odata.context"] = $"{runtime.Origin}/v1.0/$metadata#{context}" };
        if (string.Equals(query["$count"], "true", StringComparison.OrdinalIgnoreCase))
        {
            body["@odata.count"] = all.Count;
        }

        if (skip + top < all.Count)
        {
            body["@odata.nextLink"] = NextLink(runtime.Origin, http.Request.Query, top, skip + top);
        }

        body["value"] = new JsonArray(page);
        return Results.Json(body);
    }

    /// <summary>The next page on the Sandbox host, keeping the caller's query options.</summary>
    private static string NextLink(string origin, IQueryCollection query, int top, int skip)
    {
        var parts = new List<string> { $"$top={top}" };
        parts.AddRange(query.Where(q => q.Key is "$select" or "$filter" or "$orderby" or "$count").Select(q => $"{q.Key}={Uri.EscapeDataString(q.Value.ToString())}"));
        parts.Add($"$skiptoken={WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes($"offset:{skip}"))}");
        return $"{origin}/v1.0/users?{string.Join('&', parts)}";
    }

    /// <summary><c>$orderby</c> on displayName or userPrincipalName, optionally <c>desc</c>.</summary>
    private static (Func<State.User, string>? Property, bool Descending) ParseOrderBy(string orderBy)
    {
        var parts = orderBy.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var descending = parts.Length == 2 && parts[1].Equals("desc", StringComparison.OrdinalIgnoreCase);
        if (parts.Length > 2 || (parts.Length == 2 && !descending && !parts[1].Equals("asc", StringComparison.OrdinalIgnoreCase)))
        {
            return (null, false);
        }

        Func<State.User, string>? property = parts[0].ToUpperInvariant() switch
        {
            "DISPLAYNAME" => u => u.DisplayName,
            "USERPRINCIPALNAME" => u => u.UserPrincipalName,
            _ => null,
        };
        return (property, descending);
    }

    private static bool TryReadSkipToken(string token, out int skip)
    {
        skip = 0;
        try
        {
            var text = Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(token));
            return text.StartsWith("offset:", StringComparison.Ordinal) && int.TryParse(text[7..], CultureInfo.InvariantCulture, out skip) && skip >= 0;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static IResult UnknownProperty(HttpContext http, string name) =>
        GraphErrors.BadRequest(http, "Request_BadRequest", $"Could not find a property named '{name}' on type 'Microsoft.DirectoryServices.User'.");
}
