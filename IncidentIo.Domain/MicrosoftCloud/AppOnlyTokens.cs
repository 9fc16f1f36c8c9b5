using System.Collections.Concurrent;
using Microsoft.Identity.Client;
using Microsoft.IdentityModel.JsonWebTokens;

namespace IncidentIo.Domain.MicrosoftCloud;

/// <summary>
/// App-only Graph tokens for one of our app registrations, per customer tenant: MSAL client
/// credentials through the Microsoft HTTP client (so the Sandbox answers in Sandbox mode). Works
/// in any process; the Portal's signed-in flows use Identity.Web instead.
/// </summary>
public sealed class AppOnlyTokens(string clientId, string clientSecret, string instance, IMsalHttpClientFactory httpClients)
{
    private readonly ConcurrentDictionary<Guid, IConfidentialClientApplication> apps = new();

    public string ClientId => clientId;

    /// <param name="fresh">Ask Microsoft rather than the cache: after consent changed, a cached token's roles are stale.</param>
    public async Task<string> AcquireAsync(Guid tenantId, bool fresh = false, CancellationToken cancellationToken = default)
    {
        var app = apps.GetOrAdd(tenantId, tenant => ConfidentialClientApplicationBuilder.Create(clientId)
            .WithClientSecret(clientSecret)
            .WithAuthority($"{instance.TrimEnd('/')}/{tenant}")
            .WithHttpClientFactory(httpClients)
            .Build());
        var result = await app.AcquireTokenForClient([GraphClients.GraphScope]).WithForceRefresh(fresh).ExecuteAsync(cancellationToken);
        return result.AccessToken;
    }

    /// <summary>The application permissions (<c>roles</c>) an app-only access token carries.</summary>
    public static HashSet<string> RolesOf(string accessToken) =>
        new JsonWebToken(accessToken).Claims.Where(c => c.Type == "roles").Select(c => c.Value).ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>The application permissions the tenant grants the app right now; empty when it was removed from the tenant.</summary>
    public async Task<IReadOnlySet<string>> GrantedAsync(Guid tenantId, CancellationToken cancellationToken = default)
    {
        try
        {
            var token = await AcquireAsync(tenantId, fresh: true, cancellationToken);
            return RolesOf(token);
        }
        catch (MsalServiceException error) when (error.ErrorCode is "unauthorized_client" or "invalid_client" || error.Message.Contains("AADSTS700016", StringComparison.Ordinal))
        {
            // No service principal in the tenant: the admin deleted the enterprise application.
            return new HashSet<string>();
        }
    }
}
