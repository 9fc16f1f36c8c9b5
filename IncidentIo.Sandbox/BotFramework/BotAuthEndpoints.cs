using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using IncidentIo.Sandbox.Entra;
using IncidentIo.Sandbox.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace IncidentIo.Sandbox.BotFramework;

/// <summary>
/// Authentication around the connector. The <c>botframework.com</c> Entra authority (token,
/// discovery, keys) lives here rather than in the Entra tenants: it only issues client-credentials
/// tokens for <c>https://api.botframework.com</c>, to any app registration, v1-shaped with
/// <c>appid</c>. Its literal routes win over Entra's <c>/{tenant}/…</c> ones. Also the channel's
/// OpenID metadata and endorsed keys, at <c>login.botframework.com</c>'s paths.
/// </summary>
public static class BotAuthEndpoints
{
    private const string Authority = "/" + BotFrameworkSandbox.TenantDomain;

    public static void MapBotAuth(this IEndpointRouteBuilder app)
    {
        app.MapPost($"{Authority}/oauth2/v2.0/token", Token).DisableAntiforgery();
        app.MapGet($"{Authority}/v2.0/.well-known/openid-configuration", EntraMetadata);
        app.MapGet($"{Authority}/discovery/v2.0/keys", (SandboxRuntime r) => Results.Json(r.Keys.ToJwks(EntraIssuer(r))));
        app.MapGet(BotFrameworkSandbox.OpenIdMetadataPath, (SandboxRuntime r) => ChannelMetadata(r, BotFrameworkSandbox.KeysPath));
        app.MapGet(BotFrameworkSandbox.KeysPath, (BotFrameworkSandbox bot) => Results.Json(bot.ChannelKeys.ToJwks()));

        // login.botframework.com's own paths, for clients whose requests SandboxRedirectHandler sends here.
        app.MapGet(BotFrameworkSandbox.LoginOpenIdMetadataPath, (SandboxRuntime r) => ChannelMetadata(r, BotFrameworkSandbox.LoginKeysPath));
        app.MapGet(BotFrameworkSandbox.LoginKeysPath, (BotFrameworkSandbox bot) => Results.Json(bot.ChannelKeys.ToJwks()));
    }

    private static string EntraIssuer(SandboxRuntime runtime) => $"{runtime.Origin}/{BotFrameworkSandbox.TenantId}/v2.0";

    private static IResult ChannelMetadata(SandboxRuntime runtime, string keysPath) => Results.Json(new JsonObject
    {
        ["issuer"] = BotFrameworkSandbox.ApiResource,
        ["authorization_endpoint"] = "https://invalid.botframework.com",
        ["jwks_uri"] = runtime.Origin + keysPath,
        ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
        ["token_endpoint_auth_methods_supported"] = new JsonArray("private_key_jwt"),
    });

    private static IResult EntraMetadata(SandboxRuntime runtime)
    {
        var o = $"{runtime.Origin}{Authority}";
        return Results.Json(new JsonObject
        {
            ["token_endpoint"] = $"{o}/oauth2/v2.0/token",
            ["token_endpoint_auth_methods_supported"] = new JsonArray("client_secret_post", "private_key_jwt", "client_secret_basic"),
            ["jwks_uri"] = $"{o}/discovery/v2.0/keys",
            ["issuer"] = EntraIssuer(runtime),
            ["authorization_endpoint"] = $"{o}/oauth2/v2.0/authorize",
            ["response_modes_supported"] = new JsonArray("query", "fragment", "form_post"),
            ["subject_types_supported"] = new JsonArray("pairwise"),
            ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
            ["tenant_region_scope"] = "WW",
            ["cloud_instance_name"] = "microsoftonline.com",
        });
    }

    private static async Task<IResult> Token(HttpContext http, SandboxRuntime runtime)
    {
        http.Response.Headers.CacheControl = "no-store, no-cache";
        http.Response.Headers["x-ms-request-id"] = Guid.NewGuid().ToString();
        IResult Error(int status, string error, int code, string message)
        {
            var details = EntraError.For(http, runtime.Time, code, message);
            return Results.Json(details.ToTokenJson(error, runtime.Origin), statusCode: status);
        }

        if (!http.Request.HasFormContentType)
        {
            return Error(400, "invalid_request", 900144, Aadsts.MissingParameter("grant_type"));
        }

        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        if (form["grant_type"] != "client_credentials")
        {
            return Error(400, "unsupported_grant_type", 70003, $"The app requested an unsupported grant type '{form["grant_type"]}'.");
        }

        var (clientId, secret) = TokenEndpoint.ClientCredentialsOf(http, form);
        var app = string.IsNullOrEmpty(clientId) ? null : runtime.State.FindApp(clientId);
        if (app is null)
        {
            return Error(400, "unauthorized_client", 700016, Aadsts.AppNotFound(clientId ?? "", BotFrameworkSandbox.TenantDomain));
        }

        if (string.IsNullOrEmpty(secret) || !app.ClientSecrets.Any(s => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(s), Encoding.UTF8.GetBytes(secret))))
        {
            return Error(401, "invalid_client", 7000215,
                $"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{app.ClientId}'.");
        }

        var scope = form["scope"].ToString();
        if (!string.Equals(scope.TrimEnd(), $"{BotFrameworkSandbox.ApiResource}/.default", StringComparison.OrdinalIgnoreCase))
        {
            return Error(400, "invalid_scope", 1002012,
                $"The provided value for scope {scope} is not valid. Only {BotFrameworkSandbox.ApiResource}/.default is served by the Sandbox's {BotFrameworkSandbox.TenantDomain} authority.");
        }

        var iat = runtime.Now.ToUnixTimeSeconds();
        var issuer = BotFrameworkSandbox.TokenIssuer;
        var servicePrincipal = TokenFactory.ServicePrincipalId(BotFrameworkSandbox.TenantId, app.ClientId).ToString();
        var payload = new JsonObject
        {
            ["aud"] = BotFrameworkSandbox.ApiResource,
            ["iss"] = issuer,
            ["iat"] = iat,
            ["nbf"] = iat,
            ["exp"] = iat + TokenFactory.LifetimeSeconds,
            ["aio"] = EntraStore.NewHandle()[..24],
            ["appid"] = app.ClientId,
            ["appidacr"] = "1",
            ["idp"] = issuer,
            ["idtyp"] = "app",
            ["oid"] = servicePrincipal,
            ["rh"] = "0.sandbox",
            ["sub"] = servicePrincipal,
            ["tid"] = BotFrameworkSandbox.TenantId.ToString(),
            ["uti"] = EntraStore.NewHandle()[..22],
            ["ver"] = "1.0",
        };
        return Results.Json(new JsonObject
        {
            ["token_type"] = "Bearer",
            ["expires_in"] = TokenFactory.LifetimeSeconds,
            ["ext_expires_in"] = TokenFactory.LifetimeSeconds,
            ["access_token"] = Jwt.Sign(payload, runtime.Keys.Current),
        });
    }
}
