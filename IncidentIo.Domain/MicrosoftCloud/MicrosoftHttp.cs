using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using IncidentIo.Domain.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Client;

namespace IncidentIo.Domain.MicrosoftCloud;

/// <summary>
/// The one HTTP client configuration for everything that talks to Microsoft (MSAL, the OpenID
/// Connect back channel, the issuer validator, Graph, the Bot Framework). In Sandbox mode it
/// trusts the Sandbox's certificate authority and nothing else, and sends Microsoft's hosts to the
/// Sandbox, so nothing leaves the machine; in Live mode it is a plain client.
/// </summary>
public static class MicrosoftHttp
{
    public const string ClientName = "microsoft";

    public static IServiceCollection AddMicrosoftHttp(this IServiceCollection services)
    {
        services.AddSingleton<SandboxAuthority>();
        services.AddHttpClient(ClientName).ConfigurePrimaryHttpMessageHandler(CreateHandler);
        services.AddSingleton<IMsalHttpClientFactory, MsalHttpClients>();
        return services;
    }

    /// <summary>The handler chain for Microsoft: the named client's, and for clients the factory does not build (the OIDC back channel, Graph).</summary>
    public static HttpMessageHandler CreateHandler(IServiceProvider services)
    {
        var microsoft = services.GetRequiredService<IOptions<MicrosoftOptions>>().Value;
        var handler = new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false };
        if (!microsoft.IsSandbox)
        {
            return handler;
        }

        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(services.GetRequiredService<SandboxAuthority>().Certificate);
        handler.SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy };
        return new SandboxRoutingHandler(new Uri(microsoft.SandboxOrigin)) { InnerHandler = handler };
    }

    /// <summary>
    /// The hosts a Graph client may send its token to: Graph's, and in Sandbox mode the Sandbox's,
    /// whose <c>@odata.nextLink</c> addresses its own host.
    /// </summary>
    public static string[] GraphHosts(IServiceProvider services)
    {
        var microsoft = services.GetRequiredService<IOptions<MicrosoftOptions>>().Value;
        return microsoft.IsSandbox ? ["graph.microsoft.com", new Uri(microsoft.SandboxOrigin).Host] : ["graph.microsoft.com"];
    }

    private sealed class MsalHttpClients(IHttpClientFactory clients) : IMsalHttpClientFactory
    {
        public HttpClient GetHttpClient() => clients.CreateClient(ClientName);
    }
}
