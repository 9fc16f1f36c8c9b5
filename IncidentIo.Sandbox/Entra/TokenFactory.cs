using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using IncidentIo.Sandbox.Hosting;
using IncidentIo.Sandbox.State;
using Microsoft.AspNetCore.WebUtilities;

namespace IncidentIo.Sandbox.Entra;

/// <summary>
/// Mints the Sandbox's tokens. Graph access tokens have Entra's v1 shape (issuer
/// <c>https://sts.windows.net/{tid}/</c>, <c>appid</c>, <c>ver</c> 1.0) because Graph's own
/// registration asks for v1 tokens; ID tokens and tokens for other resources are v2 and issued
/// under the Sandbox origin.
/// </summary>
public sealed class TokenFactory(SandboxRuntime runtime)
{
    public const int LifetimeSeconds = 3599;

    /// <summary>The Entra role template id of Global Administrator, put in <c>wids</c>.</summary>
    public const string GlobalAdminRoleTemplateId = "62e90394-69f5-4237-9190-012177145e10";

    public static string GraphIssuer(Guid tenantId) => $"https://sts.windows.net/{tenantId}/";

    public string V2Issuer(Guid tenantId) => $"{runtime.Origin}/{tenantId}/v2.0";

    public string IdToken(AppRegistration app, User user, string? nonce, bool includeEmail)
    {
        var payload = Common(runtime.Now);
        payload["aud"] = app.ClientId;
        payload["iss"] = V2Issuer(user.TenantId);
        payload["name"] = user.DisplayName;
        payload["oid"] = user.Id.ToString();
        payload["preferred_username"] = user.UserPrincipalName;
        payload["sub"] = PairwiseSubject(user.Id, app.ClientId);
        payload["tid"] = user.TenantId.ToString();
        payload["ver"] = "2.0";
        if (nonce is not null)
        {
            payload["nonce"] = nonce;
        }

        if (includeEmail && user.Mail is not null)
        {
            payload["email"] = user.Mail;
        }

        // As if the app registration asked for directory roles (groupMembershipClaims "DirectoryRole"):
        // wids carries role template ids.
        // https://learn.microsoft.com/en-us/entra/identity-platform/access-token-claims-reference
        if (user.IsGlobalAdmin)
        {
            payload["wids"] = new JsonArray(GlobalAdminRoleTemplateId);
        }

        // App roles assigned to the user that this app defines.
        // https://learn.microsoft.com/en-us/entra/identity-platform/howto-add-app-roles-in-apps
        var roles = user.AssignedAppRoles.Where(app.AppRoles.Contains).ToList();
        if (roles.Count > 0)
        {
            payload["roles"] = new JsonArray([.. roles.Select(r => JsonValue.Create(r))]);
        }

        // The optional claim acct: 0 for a member of the tenant, 1 for a guest.
        // https://learn.microsoft.com/en-us/entra/identity-platform/optional-claims-reference
        payload["acct"] = user.IsGuest ? 1 : 0;
        return Jwt.Sign(payload, runtime.Keys.Current);
    }

    /// <summary>A delegated access token for <paramref name="resource"/> with the given <c>scp</c>.</summary>
    public string UserAccessToken(AppRegistration app, User user, string resource, IEnumerable<string> scopes)
    {
        var payload = ForResource(app, user.TenantId, resource);
        payload["idtyp"] = "user";
        payload["name"] = user.DisplayName;
        payload["oid"] = user.Id.ToString();
        payload["scp"] = string.Join(' ', scopes);
        payload["sub"] = PairwiseSubject(user.Id, app.ClientId);
        if (user.GivenName is not null)
        {
            payload["given_name"] = user.GivenName;
        }

        if (user.Surname is not null)
        {
            payload["family_name"] = user.Surname;
        }

        if (Scopes.IsGraph(resource))
        {
            payload["upn"] = user.UserPrincipalName;
            payload["unique_name"] = user.UserPrincipalName;
        }
        else
        {
            payload["preferred_username"] = user.UserPrincipalName;
        }

        if (user.IsGlobalAdmin)
        {
            payload["wids"] = new JsonArray(GlobalAdminRoleTemplateId);
        }

        return Jwt.Sign(payload, runtime.Keys.Current);
    }

    /// <summary>
    /// The Microsoft Teams web client, which asks Entra for a tab's SSO token (and must be pre-authorized by the tab's app):
    /// https://learn.microsoft.com/en-us/microsoftteams/platform/tabs/how-to/authentication/tab-sso-register-aad
    /// </summary>
    public const string TeamsWebClientId = "5e3ce6c0-2b1f-4285-8d4b-75ee78787346";

    /// <summary>
    /// The SSO token Teams hands a tab (<c>authentication.getAuthToken</c>): a v2 access token for the
    /// tab's Entra app (<c>aud</c> = its client id), scope <c>access_as_user</c>, requested by the Teams client.
    /// </summary>
    public string TabSsoToken(string tabClientId, User user)
    {
        var payload = Common(runtime.Now);
        payload["aud"] = tabClientId;
        payload["iss"] = V2Issuer(user.TenantId);
        payload["azp"] = TeamsWebClientId;
        payload["azpacr"] = "0";
        payload["name"] = user.DisplayName;
        payload["oid"] = user.Id.ToString();
        payload["preferred_username"] = user.UserPrincipalName;
        payload["scp"] = "access_as_user";
        payload["sub"] = PairwiseSubject(user.Id, tabClientId);
        payload["tid"] = user.TenantId.ToString();
        payload["ver"] = "2.0";
        return Jwt.Sign(payload, runtime.Keys.Current);
    }

    /// <summary>An app-only access token; <c>roles</c> is left out when nothing was granted, as Entra does.</summary>
    public string AppAccessToken(AppRegistration app, Guid tenantId, string resource, IReadOnlyCollection<string> roles)
    {
        var payload = ForResource(app, tenantId, resource);
        var servicePrincipalId = ServicePrincipalId(tenantId, app.ClientId).ToString();
        payload["idtyp"] = "app";
        payload["oid"] = servicePrincipalId;
        payload["sub"] = servicePrincipalId;
        if (roles.Count > 0)
        {
            payload["roles"] = new JsonArray([.. roles.Select(r => JsonValue.Create(r))]);
        }

        return Jwt.Sign(payload, runtime.Keys.Current);
    }

    /// <summary>The <c>client_info</c> MSAL keys its cache on: base64url of <c>{"uid","utid"}</c>.</summary>
    public static string ClientInfo(User user) =>
        WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(new JsonObject { ["uid"] = user.Id.ToString(), ["utid"] = user.TenantId.ToString() }.ToJsonString()));

    /// <summary>The object id of the app's service principal in a tenant; stable per tenant and app.</summary>
    public static Guid ServicePrincipalId(Guid tenantId, string clientId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{tenantId:N}/{clientId.ToLowerInvariant()}"));
        hash[7] = (byte)((hash[7] & 0x0F) | 0x40);
        return new Guid(hash.AsSpan(0, 16));
    }

    private JsonObject ForResource(AppRegistration app, Guid tenantId, string resource)
    {
        var payload = Common(runtime.Now);
        payload["aud"] = Scopes.IsGraph(resource) ? Scopes.Graph : resource;
        payload["tid"] = tenantId.ToString();
        payload["app_displayname"] = app.DisplayName;
        if (Scopes.IsGraph(resource))
        {
            payload["iss"] = GraphIssuer(tenantId);
            payload["idp"] = GraphIssuer(tenantId);
            payload["appid"] = app.ClientId;
            payload["appidacr"] = "1";
            payload["ver"] = "1.0";
        }
        else
        {
            payload["iss"] = V2Issuer(tenantId);
            payload["azp"] = app.ClientId;
            payload["azpacr"] = "1";
            payload["ver"] = "2.0";
        }

        return payload;
    }

    private static JsonObject Common(DateTimeOffset now)
    {
        var iat = now.ToUnixTimeSeconds();
        return new JsonObject
        {
            ["iat"] = iat,
            ["nbf"] = iat,
            ["exp"] = iat + LifetimeSeconds,
            ["aio"] = EntraStore.NewHandle()[..24],
            ["uti"] = EntraStore.NewHandle()[..22],
            ["rh"] = "0.sandbox",
        };
    }

    internal static string PairwiseSubject(Guid userId, string clientId) =>
        WebEncoders.Base64UrlEncode(SHA256.HashData(Encoding.UTF8.GetBytes($"{userId:N}/{clientId.ToLowerInvariant()}")));
}
