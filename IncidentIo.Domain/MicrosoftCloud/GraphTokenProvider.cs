using Microsoft.Kiota.Abstractions.Authentication;

namespace IncidentIo.Domain.MicrosoftCloud;

/// <summary>
/// Hands Graph's token to Graph's hosts only (<see cref="MicrosoftHttp.GraphHosts"/>: in Sandbox mode
/// also the Sandbox's, so next-page links are followed with it), and to no other address.
/// </summary>
internal sealed class GraphTokenProvider(Func<CancellationToken, Task<string>> token, string[] hosts) : IAccessTokenProvider
{
    public AllowedHostsValidator AllowedHostsValidator { get; } = new(hosts);

    public static BaseBearerTokenAuthenticationProvider Authentication(Func<CancellationToken, Task<string>> token, IServiceProvider services) =>
        new(new GraphTokenProvider(token, MicrosoftHttp.GraphHosts(services)));

    public Task<string> GetAuthorizationTokenAsync(Uri uri, Dictionary<string, object>? additionalAuthenticationContext = null, CancellationToken cancellationToken = default) =>
        AllowedHostsValidator.IsUrlHostValid(uri) ? token(cancellationToken) : Task.FromResult(string.Empty);
}
