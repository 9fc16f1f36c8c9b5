using Microsoft.Kiota.Abstractions.Authentication;

namespace IncidentIo.Sandbox.Tests.Infrastructure;

/// <summary>Hands the Graph SDK a token from MSAL, for the Sandbox host only.</summary>
public sealed class TokenProvider(Func<Task<string>> token, string host) : IAccessTokenProvider
{
    public AllowedHostsValidator AllowedHostsValidator { get; } = new([host]);

    public async Task<string> GetAuthorizationTokenAsync(Uri uri, Dictionary<string, object>? additionalAuthenticationContext = null, CancellationToken cancellationToken = default) =>
        AllowedHostsValidator.IsUrlHostValid(uri) ? await token() : "";
}
