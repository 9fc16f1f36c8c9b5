using Microsoft.Identity.Client;

namespace IncidentIo.Sandbox.Tests.Infrastructure;

/// <summary>Gives MSAL a client that trusts only the test CA and sends Microsoft's hosts to the Sandbox.</summary>
public sealed class MsalHttpClientFactory(HttpClient client) : IMsalHttpClientFactory
{
    public HttpClient GetHttpClient() => client;
}
