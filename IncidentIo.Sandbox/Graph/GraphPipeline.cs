using System.Text.Json.Nodes;
using IncidentIo.Sandbox.Entra;
using IncidentIo.Sandbox.Hosting;
using IncidentIo.Sandbox.Throttling;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace IncidentIo.Sandbox.Graph;

/// <summary>
/// What every Graph call goes through: request ids on the response, then bearer token validation
/// (signature, lifetime, audience, issuer and tenant). Failures are 401
/// <c>InvalidAuthenticationToken</c> with Graph's messages.
/// </summary>
public static class GraphPipeline
{
    public const string Prefix = "/v1.0";

    private static readonly JsonObject Diagnostic = new()
    {
        ["ServerInfo"] = new JsonObject { ["DataCenter"] = "Sandbox", ["Slice"] = "E", ["Ring"] = "1", ["ScaleUnit"] = "000", ["RoleInstance"] = "sandbox" },
    };

    public static void UseGraphPipeline(this IApplicationBuilder app) =>
        app.UseWhen(http => http.Request.Path.StartsWithSegments(Prefix, StringComparison.OrdinalIgnoreCase), branch => branch.Use(Handle));

    private static async Task Handle(HttpContext http, RequestDelegate next)
    {
        var clientRequestId = http.Request.Headers["client-request-id"].ToString();
        http.Response.Headers["request-id"] = Guid.NewGuid().ToString();
        http.Response.Headers["client-request-id"] = clientRequestId.Length > 0 ? clientRequestId : Guid.NewGuid().ToString();
        http.Response.Headers["x-ms-ags-diagnostic"] = Diagnostic.ToJsonString();

        var runtime = http.RequestServices.GetRequiredService<SandboxRuntime>();
        var (caller, problem) = Authenticate(http, runtime);
        if (caller is null)
        {
            http.Response.Headers.WWWAuthenticate =
                $"Bearer realm=\"\", authorization_uri=\"{runtime.Origin}/common/oauth2/authorize\", client_id=\"{Scopes.GraphAppId}\"";
            await GraphErrors.Result(http, StatusCodes.Status401Unauthorized, "InvalidAuthenticationToken", problem!).ExecuteAsync(http);
            return;
        }

        caller.AttachTo(http);
        http.RequestServices.GetRequiredService<GraphRequestLog>().Add(new GraphRequest(caller.TenantId, caller.ClientId, http.Request.Method, http.Request.Path.Value ?? ""));
        if (!await GraphAdmission.AdmitAsync(http, caller))
        {
            return;
        }

        await next(http);
    }

    /// <summary>
    /// No endpoint matched: a known resource with the wrong method is 405, anything else is Graph's
    /// "Resource not found for the segment" 400.
    /// </summary>
    public static IResult Unmatched(HttpContext http)
    {
        var segments = http.Request.Path.Value?.Split('/', StringSplitOptions.RemoveEmptyEntries) ?? [];
        var segment = segments.Length > 1 ? segments[1] : "";
        var known = http.RequestServices.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>().Any(e =>
            e.RoutePattern.RawText is { } raw && !raw.Contains("{**", StringComparison.Ordinal)
            && raw.Split('/', StringSplitOptions.RemoveEmptyEntries) is [_, var first, ..]
            && first.Equals(segment, StringComparison.OrdinalIgnoreCase));
        return known
            ? GraphErrors.Result(http, StatusCodes.Status405MethodNotAllowed, "Request_BadRequest", "Specified HTTP method is not allowed for the request target.")
            : GraphErrors.BadRequest(http, "BadRequest", $"Resource not found for the segment '{segment}'.");
    }

    internal static (GraphCaller? Caller, string? Problem) Authenticate(HttpContext http, SandboxRuntime runtime)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length <= 7)
        {
            return (null, "Access token is empty.");
        }

        var check = Jwt.Verify(header[7..].Trim(), runtime.Keys);
        if (check.Payload is null)
        {
            return (null, "IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE Compact Serialization Format.");
        }

        if (!check.SignatureValid)
        {
            return (null, "Access token validation failure. Invalid signature.");
        }

        var now = runtime.Now.ToUnixTimeSeconds();
        if (check.NumericClaim("exp") is not { } exp || exp <= now)
        {
            return (null, "Lifetime validation failed, the token is expired.");
        }

        if (check.NumericClaim("nbf") is { } nbf && nbf > now + 300)
        {
            return (null, "Lifetime validation failed, the token is not yet valid.");
        }

        if (check.Claim("aud") is not { } aud || !Scopes.IsGraph(aud))
        {
            return (null, "Access token validation failure. Invalid audience.");
        }

        if (!Guid.TryParse(check.Claim("tid"), out var tenantId) || runtime.State.FindTenant(tenantId.ToString()) is null
            || check.Claim("iss") != TokenFactory.GraphIssuer(tenantId))
        {
            return (null, "Access token validation failure. Invalid issuer.");
        }

        var isUser = check.Claim("idtyp") == "user";
        var roles = check.Payload["roles"] is JsonArray array
            ? array.Select(r => r?.GetValue<string>() ?? "").ToHashSet(StringComparer.OrdinalIgnoreCase)
            : new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var scopes = (check.Claim("scp") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Guid? userId = isUser && Guid.TryParse(check.Claim("oid"), out var oid) ? oid : null;
        if (isUser && userId is null)
        {
            return (null, "Access token validation failure.");
        }

        return (new GraphCaller(tenantId, check.Claim("appid") ?? "", userId, roles, scopes), null);
    }
}
