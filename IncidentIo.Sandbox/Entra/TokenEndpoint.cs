using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using IncidentIo.Sandbox.Hosting;
using IncidentIo.Sandbox.State;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;

namespace IncidentIo.Sandbox.Entra;

/// <summary>
/// <c>POST /{tenant}/oauth2/v2.0/token</c>: authorization code (with PKCE), refresh token and client
/// credentials. Errors carry Entra's JSON shape and AADSTS codes.
/// </summary>
public static class TokenEndpoint
{
    public static void MapToken(this IEndpointRouteBuilder app) =>
        app.MapPost("/{tenant}/oauth2/v2.0/token", Token).DisableAntiforgery();

    private static async Task<IResult> Token(HttpContext http, string tenant, SandboxRuntime runtime, TokenFactory tokens)
    {
        http.Response.Headers.CacheControl = "no-store, no-cache";
        http.Response.Headers.Pragma = "no-cache";
        http.Response.Headers["x-ms-request-id"] = Guid.NewGuid().ToString();
        if (!string.IsNullOrEmpty(http.Request.Headers["client-request-id"]))
        {
            http.Response.Headers["client-request-id"] = http.Request.Headers["client-request-id"];
        }

        var call = new TokenCall(http, runtime, tokens);
        if (!http.Request.HasFormContentType)
        {
            return call.Error(400, "invalid_request", 900144, Aadsts.MissingParameter("grant_type"));
        }

        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var multi = tenant is "common" or "organizations";
        var pathTenant = multi ? null : runtime.State.FindTenant(tenant);
        if (!multi && pathTenant is null)
        {
            return call.Error(400, "invalid_request", 90002, Aadsts.TenantNotFound(tenant));
        }

        var grantType = form["grant_type"].ToString();
        if (grantType.Length == 0)
        {
            return call.Error(400, "invalid_request", 900144, Aadsts.MissingParameter("grant_type"));
        }

        var (clientId, secret) = ClientCredentialsOf(http, form);
        if (string.IsNullOrEmpty(clientId))
        {
            return call.Error(400, "invalid_request", 900144, Aadsts.MissingParameter("client_id"));
        }

        var app = runtime.State.FindApp(clientId);
        if (app is null)
        {
            return call.Error(400, "unauthorized_client", 700016, Aadsts.AppNotFound(clientId, pathTenant?.DisplayName ?? tenant));
        }

        if (app.ClientSecrets.Count > 0)
        {
            if (string.IsNullOrEmpty(secret))
            {
                return call.Error(400, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
            }

            if (!app.ClientSecrets.Any(s => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(s), Encoding.UTF8.GetBytes(secret))))
            {
                return call.Error(401, "invalid_client", 7000215,
                    $"Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{app.ClientId}'.");
            }
        }

        return grantType switch
        {
            "client_credentials" => call.ClientCredentials(app, pathTenant, form["scope"]),
            "authorization_code" => call.AuthorizationCode(app, pathTenant, form),
            "refresh_token" => call.RefreshToken(app, pathTenant, form),
            _ => call.Error(400, "unsupported_grant_type", 70003, $"The app requested an unsupported grant type '{grantType}'."),
        };
    }

    /// <summary>HTTP Basic wins over the body, as OAuth 2 prescribes; both halves are form-url-encoded.</summary>
    internal static (string? ClientId, string? Secret) ClientCredentialsOf(HttpContext http, IFormCollection form)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim())).Split(':', 2);
                if (pair.Length == 2)
                {
                    return (Uri.UnescapeDataString(pair[0].Replace('+', ' ')), Uri.UnescapeDataString(pair[1].Replace('+', ' ')));
                }
            }
            catch (FormatException)
            {
                // Fall through to the body, which then lacks the credentials and fails plainly.
            }
        }

        return (form["client_id"], form["client_secret"]);
    }

    private sealed class TokenCall(HttpContext http, SandboxRuntime runtime, TokenFactory tokens)
    {
        public IResult Error(int status, string error, int code, string message)
        {
            var details = EntraError.For(http, runtime.Time, code, message);
            http.Response.Headers["x-ms-request-id"] = details.TraceId.ToString();
            http.Response.Headers["client-request-id"] = details.CorrelationId.ToString();
            return Results.Json(details.ToTokenJson(error, runtime.Origin), statusCode: status);
        }

        public IResult ClientCredentials(AppRegistration app, Tenant? tenant, string? scope)
        {
            if (tenant is null)
            {
                return Error(400, "invalid_request", 50059, Aadsts.NoTenant);
            }

            var raw = (scope ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (raw.Length == 0)
            {
                return Error(400, "invalid_request", 900144, Aadsts.MissingParameter("scope"));
            }

            if (raw.Length > 1)
            {
                return Error(400, "invalid_scope", 70011, $"The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope {scope} is not valid.");
            }

            if (!raw[0].EndsWith("/.default", StringComparison.Ordinal))
            {
                return Error(400, "invalid_scope", 1002012,
                    $"The provided value for scope {raw[0]} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).");
            }

            var resource = raw[0][..^"/.default".Length];
            var isGraph = Scopes.IsGraph(resource);
            if (!isGraph && !KnownResource(resource, tenant.Id))
            {
                return Error(400, "invalid_resource", 500011,
                    $"The resource principal named {resource} was not found in the tenant named {tenant.DisplayName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.");
            }

            if (!runtime.State.AppExistsIn(tenant.Id, app.ClientId))
            {
                return Error(400, "unauthorized_client", 700016, Aadsts.AppNotFound(app.ClientId, tenant.DisplayName));
            }

            var roles = isGraph ? runtime.State.FindGrant(tenant.Id, app.ClientId)?.ApplicationRoles.ToList() ?? [] : [];
            return Results.Json(new JsonObject
            {
                ["token_type"] = "Bearer",
                ["expires_in"] = TokenFactory.LifetimeSeconds,
                ["ext_expires_in"] = TokenFactory.LifetimeSeconds,
                ["access_token"] = tokens.AppAccessToken(app, tenant.Id, isGraph ? Scopes.Graph : resource, roles),
            });
        }

        public IResult AuthorizationCode(AppRegistration app, Tenant? pathTenant, IFormCollection form)
        {
            var value = form["code"].ToString();
            if (value.Length == 0)
            {
                return Error(400, "invalid_request", 900144, Aadsts.MissingParameter("code"));
            }

            var (code, redeemed) = runtime.Store.Redeem(value);
            if (code is null)
            {
                return redeemed
                    ? Error(400, "invalid_grant", 54005, "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.")
                    : Error(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.");
            }

            if (code.ExpiresAt < runtime.Now)
            {
                return Error(400, "invalid_grant", 70008, "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.");
            }

            if (!string.Equals(code.ClientId, app.ClientId, StringComparison.OrdinalIgnoreCase) || (pathTenant is not null && pathTenant.Id != code.TenantId))
            {
                return Error(400, "invalid_grant", 70000, "The provided value for the 'code' parameter is not valid. The code was issued to a different client or tenant.");
            }

            if (form["redirect_uri"] != code.RedirectUri)
            {
                return Error(400, "invalid_grant", 500112,
                    $"The reply address '{form["redirect_uri"]}' does not match the reply address '{code.RedirectUri}' provided when requesting Authorization code.");
            }

            if (code.CodeChallenge is not null && !PkceMatches(code, form["code_verifier"]))
            {
                return Error(400, "invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request.");
            }

            var scope = string.IsNullOrEmpty(form["scope"]) ? code.Scope : form["scope"].ToString();
            return UserTokens(app, code.UserId, Scopes.Parse(scope), code.Nonce, form["client_info"] == "1");
        }

        public IResult RefreshToken(AppRegistration app, Tenant? pathTenant, IFormCollection form)
        {
            var value = form["refresh_token"].ToString();
            if (value.Length == 0)
            {
                return Error(400, "invalid_request", 900144, Aadsts.MissingParameter("refresh_token"));
            }

            var grant = runtime.Store.RefreshToken(value);
            if (grant is null)
            {
                return Error(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.");
            }

            if (!string.Equals(grant.ClientId, app.ClientId, StringComparison.OrdinalIgnoreCase) || (pathTenant is not null && pathTenant.Id != grant.TenantId))
            {
                return Error(400, "invalid_grant", 70000, "The refresh token was issued to a different client or tenant.");
            }

            return UserTokens(app, grant.UserId, Scopes.Parse(form["scope"]), nonce: null, form["client_info"] == "1");
        }

        private IResult UserTokens(AppRegistration app, Guid userId, Scopes scopes, string? nonce, bool clientInfo)
        {
            var user = runtime.State.FindUser(userId);
            if (user is null)
            {
                return Error(400, "invalid_grant", 50034, Aadsts.UnknownUser);
            }

            if (scopes.Resources.Count > 1)
            {
                return Error(400, "invalid_scope", 70011,
                    $"The provided value for the input parameter 'scope' is not valid. The scope {string.Join(' ', scopes.Raw)} is not valid. Only one resource may be requested.");
            }

            var consented = runtime.State.FindGrant(user.TenantId, app.ClientId)?.DelegatedScopesFor(user.Id) ?? [];
            IReadOnlyList<string> scp;
            string responseScope;
            if (scopes.ResourceScopes.Count == 0)
            {
                // Only OpenID Connect scopes: Entra still returns a Graph token good for userinfo.
                scp = [.. scopes.Oidc.Where(s => s != "offline_access").Append("email").Distinct()];
                responseScope = "email";
            }
            else if (scopes.IsDefault)
            {
                scp = Scopes.IsGraph(scopes.Resource) ? [.. consented] : ["user_impersonation"];
                responseScope = string.Join(' ', scp.Select(s => $"{scopes.Resource}/{s}"));
            }
            else
            {
                var missing = Scopes.IsGraph(scopes.Resource) ? scopes.ResourceScopes.Where(s => !consented.Contains(s)).ToList() : [];
                if (missing.Count > 0)
                {
                    return Error(400, "invalid_grant", 65001, Aadsts.ConsentRequired(app.ClientId));
                }

                scp = scopes.ResourceScopes;
                responseScope = scopes.ResponseScope;
            }

            var body = new JsonObject
            {
                ["token_type"] = "Bearer",
                ["scope"] = responseScope,
                ["expires_in"] = TokenFactory.LifetimeSeconds,
                ["ext_expires_in"] = TokenFactory.LifetimeSeconds,
                ["access_token"] = tokens.UserAccessToken(app, user, scopes.Resource, scp),
            };
            if (scopes.OfflineAccess)
            {
                var refresh = new RefreshGrant($"1.AS{EntraStore.NewHandle()}", app.ClientId, user.TenantId, user.Id);
                runtime.Store.Save(refresh);
                body["refresh_token"] = refresh.Token;
            }

            if (scopes.OpenId)
            {
                body["id_token"] = tokens.IdToken(app, user, nonce, scopes.Oidc.Contains("email"));
            }

            if (clientInfo)
            {
                body["client_info"] = TokenFactory.ClientInfo(user);
            }

            return Results.Json(body);
        }

        /// <summary>Another app's API: <c>api://{clientId}</c> or its client id, present in the tenant.</summary>
        private bool KnownResource(string resource, Guid tenantId)
        {
            var clientId = resource.StartsWith("api://", StringComparison.OrdinalIgnoreCase) ? resource["api://".Length..].TrimEnd('/') : resource;
            return runtime.State.AppExistsIn(tenantId, clientId);
        }

        private static bool PkceMatches(AuthorizationCode code, string? verifier)
        {
            if (string.IsNullOrEmpty(verifier))
            {
                return false;
            }

            var expected = code.CodeChallengeMethod == "S256"
                ? WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)))
                : verifier;
            return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(code.CodeChallenge!));
        }
    }
}
