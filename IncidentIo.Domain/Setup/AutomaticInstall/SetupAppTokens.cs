using System.Collections.Concurrent;
using IncidentIo.Domain.MicrosoftCloud;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Client;
using Microsoft.IdentityModel.JsonWebTokens;

namespace IncidentIo.Domain.Setup.AutomaticInstall;

/// <summary>
/// App-only Graph tokens for the temporary setup app, per customer tenant (MSAL client
/// credentials through the Microsoft HTTP client, so the Sandbox answers in Sandbox mode).
/// </summary>
public sealed class SetupAppTokens(IOptions<SetupAppOptions> options, IMsalHttpClientFactory httpClients)
{
    private readonly ConcurrentDictionary<Guid, IConfidentialClientApplication> apps = new();

    public bool IsConfigured => options.Value.IsConfigured;

    public string ClientId => options.Value.ClientId ?? throw new InvalidOperationException("SetupApp:ClientId is not configured.");

    /// <param name="fresh">Ask Microsoft rather than the cache: after consent changed, the cached token's roles are stale.</param>
    public async Task<string> AcquireAsync(Guid tenantId, bool fresh = false, CancellationToken cancellationToken = default)
    {
        var app = apps.GetOrAdd(tenantId, tenant =>
        {
            var setup = options.Value;
            return ConfidentialClientApplicationBuilder.Create(ClientId)
                .WithClientSecret(setup.ClientSecret)
                .WithAuthority($"{setup.Instance!.TrimEnd('/')}/{tenant}")
                .WithHttpClientFactory(httpClients)
                .Build();
        });
        var result = await app.AcquireTokenForClient([GraphClients.GraphScope]).WithForceRefresh(fresh).ExecuteAsync(cancellationToken);
        return result.AccessToken;
    }

    /// <summary>The application permissions the tenant has granted the setup app right now; empty when it was removed.</summary>
    public async Task<IReadOnlySet<string>> GrantedAsync(Guid tenantId, CancellationToken cancellationToken = default)
    {
        try
        {
            var token = await AcquireAsync(tenantId, fresh: true, cancellationToken);
            return new JsonWebToken(token).Claims.Where(c => c.Type == "roles").Select(c => c.Value).ToHashSet(StringComparer.OrdinalIgnoreCase);
        }
        catch (MsalServiceException error) when (error.ErrorCode is "unauthorized_client" or "invalid_client" || error.Message.Contains("AADSTS700016", StringComparison.Ordinal))
        {
            // No service principal in the tenant: the admin deleted the enterprise application.
            return new HashSet<string>();
        }
    }
}
