using IncidentIo.Domain.MicrosoftCloud;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Client;

namespace IncidentIo.Domain.Setup.AutomaticInstall;

/// <summary>App-only Graph tokens for the temporary setup app (<c>SetupApp:*</c>).</summary>
public sealed class SetupAppTokens(IOptions<SetupAppOptions> options, IMsalHttpClientFactory httpClients)
{
    private readonly Lazy<AppOnlyTokens> tokens = new(() =>
        new AppOnlyTokens(
            options.Value.ClientId ?? throw new InvalidOperationException("SetupApp:ClientId is not configured."),
            options.Value.ClientSecret!,
            options.Value.Instance!,
            httpClients));

    public bool IsConfigured => options.Value.IsConfigured;

    public string ClientId => tokens.Value.ClientId;

    public Task<string> AcquireAsync(Guid tenantId, bool fresh = false, CancellationToken cancellationToken = default) =>
        tokens.Value.AcquireAsync(tenantId, fresh, cancellationToken);

    public Task<IReadOnlySet<string>> GrantedAsync(Guid tenantId, CancellationToken cancellationToken = default) =>
        tokens.Value.GrantedAsync(tenantId, cancellationToken);
}
