using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using IncidentIo.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Configuration;

namespace IncidentIo.EndToEnd.Tests.Journeys;

/// <summary>
/// The Portal behind a reverse proxy that ends TLS, as the README offers for production: the
/// Portal itself listens on plain http and believes the proxy's forwarded headers. The proxy is
/// YARP, Microsoft's reverse proxy, in this test process: a real proxy on loopback (https in,
/// http out, WebSockets for Blazor's circuit, X-Forwarded-* set) with nothing to install.
/// </summary>
public sealed class ReverseProxyTests : PortalJourney
{
    private static readonly X509Certificate2 ProxyCertificate = CreateProxyCertificate();
    private WebApplication? proxy;
    private string portalUrl = null!;

    protected override async Task<(ProductProcess Process, string Url, string SandboxOrigin)> StartPortalAsync()
    {
        // The proxy first, on a port the system gives it (a port picked ahead can be taken meanwhile);
        // it learns where the Portal is once the Portal has started.
        proxy = await StartProxyAsync();
        var proxyPort = new Uri(proxy.Urls.Single()).Port;
        var proxyUrl = $"https://localhost:{proxyPort}";
        var (process, url, sandboxOrigin) = await PortalProcess.StartAsync(new Dictionary<string, string?>
        {
            ["DataFolder"] = DataFolder,
            ["Proxy__KnownProxies__0"] = "127.0.0.1",
            // The public host: what people type, what Entra has as redirect URIs.
            ["TeamsApp__PortalHost"] = $"localhost:{proxyPort}",
        }, scheme: "http");
        portalUrl = url;
        proxy.Services.GetRequiredService<InMemoryConfigProvider>().Update(Routes, Clusters(url));
        return (process, proxyUrl, sandboxOrigin);
    }

    [Fact]
    public async Task Sign_in_and_both_consents_complete_through_the_proxy()
    {
        await CompleteAutomaticSetupAsync();

        var log = PortalOutput;
        Assert.DoesNotContain($"redirect_uri={Uri.EscapeDataString(portalUrl)}", log, StringComparison.Ordinal);
        Assert.DoesNotContain("fail:", log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Microsoft_is_sent_back_to_the_public_https_address_and_every_cookie_is_secure()
    {
        using var client = ProxyClient();

        var response = await client.GetAsync($"{Url}/signin?returnUrl=%2Fsetup");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = response.Headers.Location!.ToString();
        Assert.Contains($"redirect_uri={Uri.EscapeDataString($"{Url}/signin-oidc")}", location, StringComparison.Ordinal);
        var cookies = response.Headers.GetValues("Set-Cookie").ToList();
        Assert.NotEmpty(cookies);
        Assert.All(cookies, cookie => Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Forwarded_headers_from_anyone_but_the_proxy_are_not_believed()
    {
        using var client = ProxyClient();
        using var forged = new HttpRequestMessage(HttpMethod.Get, $"{Url}/signin?returnUrl=%2Fsetup");
        forged.Headers.Add("X-Forwarded-Host", "evil.example");
        forged.Headers.Add("X-Forwarded-Proto", "http");

        // Through the proxy: it replaces what the client claimed with what it saw.
        var viaProxy = await client.SendAsync(forged);
        Assert.Contains($"redirect_uri={Uri.EscapeDataString($"{Url}/signin-oidc")}", viaProxy.Headers.Location!.ToString(), StringComparison.Ordinal);

        // Straight to the Portal from 127.0.0.2, which is not the configured proxy: the headers are ignored.
        using var direct = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectCallback = async (context, cancellation) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
                await socket.ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, cancellation);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            },
        });
        using var spoofed = new HttpRequestMessage(HttpMethod.Get, $"{portalUrl}/signin?returnUrl=%2Fsetup");
        spoofed.Headers.Add("X-Forwarded-Host", "evil.example");
        spoofed.Headers.Add("X-Forwarded-Proto", "https");
        spoofed.Headers.Add("X-Forwarded-For", "127.0.0.1");
        var location = (await direct.SendAsync(spoofed)).Headers.Location!.ToString();
        Assert.DoesNotContain("evil.example", location, StringComparison.Ordinal);
        Assert.Contains($"redirect_uri={Uri.EscapeDataString($"{portalUrl}/signin-oidc")}", location, StringComparison.Ordinal);
    }

    public override async Task DisposeAsync()
    {
        if (proxy is not null)
        {
            await proxy.DisposeAsync();
        }

        await base.DisposeAsync();
    }

    private static HttpClient ProxyClient() => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString() == ProxyCertificate.Thumbprint },
    });

    private static readonly RouteConfig[] Routes = [new RouteConfig { RouteId = "portal", ClusterId = "portal", Match = new RouteMatch { Path = "{**everything}" } }];

    private static ClusterConfig[] Clusters(string portalUrl) =>
        [new ClusterConfig { ClusterId = "portal", Destinations = new Dictionary<string, DestinationConfig> { ["portal"] = new() { Address = portalUrl } } }];

    private static async Task<WebApplication> StartProxyAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(ProxyCertificate)));
        builder.Services.AddReverseProxy().LoadFromMemory(Routes, Clusters("http://127.0.0.1:9"));
        var app = builder.Build();
        app.MapReverseProxy();
        await app.StartAsync();
        return app;
    }

    /// <summary>The proxy's own TLS certificate (the browser in these tests accepts any; the test's client this one).</summary>
    private static X509Certificate2 CreateProxyCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }
}
