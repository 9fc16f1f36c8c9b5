using Microsoft.Extensions.Configuration;
using Microsoft.Identity.Client;

namespace IncidentIo.Domain.MicrosoftCloud;

/// <summary>
/// App-only Graph tokens for our main app (<c>AzureAd:ClientId</c> / <c>ClientSecret</c>), with the
/// global permissions a tenant's admin granted, in any process (Workers have no sign-in).
/// </summary>
public sealed class MainAppTokens(IConfiguration configuration, IMsalHttpClientFactory httpClients)
{
    private readonly Lazy<AppOnlyTokens> tokens = new(() => new AppOnlyTokens(
        configuration["AzureAd:ClientId"] ?? throw new InvalidOperationException("AzureAd:ClientId is not configured."),
        configuration["AzureAd:ClientSecret"] ?? throw new InvalidOperationException("AzureAd:ClientSecret is not configured."),
        configuration["AzureAd:Instance"] ?? "https://login.microsoftonline.com/",
        httpClients));

    public Task<string> AcquireAsync(Guid tenantId, bool fresh = false, CancellationToken cancellationToken = default) =>
        tokens.Value.AcquireAsync(tenantId, fresh, cancellationToken);
}
