namespace IncidentIo.Domain.MicrosoftCloud;

/// <summary>
/// Sandbox mode: sends requests for Microsoft's hosts to the Sandbox and refuses any other host,
/// so that calls the libraries make on their own (MSAL's instance discovery always asks
/// <c>login.microsoftonline.com</c>) stay on this machine too.
/// </summary>
public sealed class SandboxRoutingHandler(Uri sandboxOrigin) : DelegatingHandler
{
    private static readonly string[] MicrosoftHosts =
    [
        "login.microsoftonline.com", "graph.microsoft.com", "login.botframework.com", "api.botframework.com", "smba.trafficmanager.net",
    ];

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri ?? throw new InvalidOperationException("The request has no address.");
        if (MicrosoftHosts.Contains(uri.Host, StringComparer.OrdinalIgnoreCase))
        {
            request.RequestUri = new UriBuilder(uri) { Scheme = sandboxOrigin.Scheme, Host = sandboxOrigin.Host, Port = sandboxOrigin.Port }.Uri;
        }
        else if (!string.Equals(uri.Authority, sandboxOrigin.Authority, StringComparison.OrdinalIgnoreCase))
        {
            throw new HttpRequestException(
                $"In Sandbox mode Microsoft-facing clients reach only the Sandbox at {sandboxOrigin.Authority}, not {uri.Authority}.");
        }

        return base.SendAsync(request, cancellationToken);
    }
}
