namespace IncidentIo.Sandbox.Hosting;

/// <summary>
/// Sends requests for Microsoft's hosts to the Sandbox instead, and refuses every other host.
/// MSAL asks <c>login.microsoftonline.com</c> for instance discovery whatever authority it is
/// given; with this handler in its HTTP client nothing leaves loopback. <c>login.botframework.com</c>
/// is rewritten too: the Sandbox serves the channel's OpenID metadata and keys at its paths.
/// (<c>api.botframework.com</c> is only a token audience and scope; nothing requests it.)
/// </summary>
public sealed class SandboxRedirectHandler(string sandboxOrigin) : DelegatingHandler
{
    private static readonly string[] MicrosoftHosts = ["login.microsoftonline.com", "graph.microsoft.com", "login.botframework.com"];

    private readonly Uri _origin = new(sandboxOrigin);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri ?? throw new InvalidOperationException("The request has no URI.");
        if (MicrosoftHosts.Contains(uri.Host, StringComparer.OrdinalIgnoreCase))
        {
            request.RequestUri = new UriBuilder(uri) { Scheme = _origin.Scheme, Host = _origin.Host, Port = _origin.Port }.Uri;
        }
        else if (!string.Equals(uri.Authority, _origin.Authority, StringComparison.OrdinalIgnoreCase))
        {
            throw new HttpRequestException($"Only the Sandbox at {_origin.Authority} is reachable from this client, not {uri.Authority}.");
        }

        return base.SendAsync(request, cancellationToken);
    }
}
