using System.Text.Json.Nodes;
using IncidentIo.Sandbox.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace IncidentIo.Sandbox.Entra;

/// <summary>OpenID Connect metadata, signing keys and MSAL's instance discovery.</summary>
public static class DiscoveryEndpoints
{
    public static void MapDiscovery(this IEndpointRouteBuilder app)
    {
        app.MapGet("/{tenant}/v2.0/.well-known/openid-configuration", OpenIdConfiguration);
        app.MapGet("/{tenant}/discovery/v2.0/keys", Keys);
        app.MapGet("/common/discovery/instance", InstanceDiscovery);
        app.MapGet("/error", (string? code) => Pages.ErrorLookup(code));
    }

    private static IResult OpenIdConfiguration(HttpContext http, string tenant, SandboxRuntime runtime)
    {
        var multi = tenant is "common" or "organizations";
        var found = multi ? null : runtime.State.FindTenant(tenant);
        if (!multi && found is null)
        {
            return TenantNotFound(http, tenant, runtime);
        }

        // Multi-tenant documents cannot name a tenant: the issuer carries a literal {tenantid}.
        var segment = multi ? tenant : found!.Id.ToString();
        var issuerTenant = multi ? "{tenantid}" : segment;
        var o = runtime.Origin;
        return Results.Json(new JsonObject
        {
            ["token_endpoint"] = $"{o}/{segment}/oauth2/v2.0/token",
            ["token_endpoint_auth_methods_supported"] = Array("client_secret_post", "private_key_jwt", "client_secret_basic"),
            ["jwks_uri"] = $"{o}/{segment}/discovery/v2.0/keys",
            ["response_modes_supported"] = Array("query", "fragment", "form_post"),
            ["subject_types_supported"] = Array("pairwise"),
            ["id_token_signing_alg_values_supported"] = Array("RS256"),
            ["response_types_supported"] = Array("code", "id_token", "code id_token", "id_token token"),
            ["scopes_supported"] = Array("openid", "profile", "email", "offline_access"),
            ["issuer"] = $"{o}/{issuerTenant}/v2.0",
            ["request_uri_parameter_supported"] = false,
            // Entra points at Graph's host here; the Sandbox serves Graph too.
            ["userinfo_endpoint"] = $"{o}/oidc/userinfo",
            ["authorization_endpoint"] = $"{o}/{segment}/oauth2/v2.0/authorize",
            ["device_authorization_endpoint"] = $"{o}/{segment}/oauth2/v2.0/devicecode",
            ["http_logout_supported"] = true,
            ["frontchannel_logout_supported"] = true,
            ["end_session_endpoint"] = $"{o}/{segment}/oauth2/v2.0/logout",
            ["claims_supported"] = Array("sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host",
                "aud", "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email"),
            ["kerberos_endpoint"] = $"{o}/{segment}/kerberos",
            ["tenant_region_scope"] = multi ? null : "EU",
            ["cloud_instance_name"] = "microsoftonline.com",
            ["cloud_graph_host_name"] = "graph.windows.net",
            ["msgraph_host"] = "graph.microsoft.com",
            ["rbac_url"] = "https://pas.windows.net",
        });
    }

    private static IResult Keys(HttpContext http, string tenant, SandboxRuntime runtime)
    {
        var multi = tenant is "common" or "organizations";
        var found = multi ? null : runtime.State.FindTenant(tenant);
        if (!multi && found is null)
        {
            return TenantNotFound(http, tenant, runtime);
        }

        return Results.Json(runtime.Keys.ToJwks($"{runtime.Origin}/{(multi ? "{tenantid}" : found!.Id.ToString())}/v2.0"));
    }

    /// <summary>
    /// MSAL asks this before its first token request. The answer names the Sandbox host as the
    /// only alias, so MSAL keeps sending everything to the Sandbox.
    /// </summary>
    private static IResult InstanceDiscovery(HttpContext http, SandboxRuntime runtime)
    {
        var host = new Uri(runtime.Origin).Authority;
        var endpoint = http.Request.Query["authorization_endpoint"].ToString();
        var tenant = Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && uri.Segments.Length > 1 ? uri.Segments[1].TrimEnd('/') : "common";
        return Results.Json(new JsonObject
        {
            ["tenant_discovery_endpoint"] = $"{runtime.Origin}/{tenant}/v2.0/.well-known/openid-configuration",
            ["api-version"] = "1.1",
            ["metadata"] = new JsonArray(new JsonObject
            {
                ["preferred_network"] = host,
                ["preferred_cache"] = host,
                ["aliases"] = Array(host),
            }),
        });
    }

    private static IResult TenantNotFound(HttpContext http, string tenant, SandboxRuntime runtime)
    {
        var error = EntraError.For(http, runtime.Time, 90002, Aadsts.TenantNotFound(tenant));
        return Results.Json(error.ToTokenJson("invalid_tenant", runtime.Origin), statusCode: StatusCodes.Status400BadRequest);
    }

    private static JsonArray Array(params string[] values) => new([.. values.Select(v => JsonValue.Create(v))]);
}
