using System.Net;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.TeamsApp;
using Microsoft.AspNetCore.HostFiltering;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace IncidentIo.Portal.Hosting;

/// <summary><c>Proxy:*</c>: the reverse proxies and load balancers that end TLS in front of the Portal.</summary>
public sealed class ProxyOptions
{
    public const string Section = "Proxy";

    /// <summary>Addresses of proxies whose <c>X-Forwarded-For</c>, <c>-Proto</c> and <c>-Host</c> are believed.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks (CIDR, e.g. <c>10.0.0.0/8</c>) whose proxies are believed.</summary>
    public List<string> KnownNetworks { get; set; } = [];

    public bool IsConfigured => KnownProxies.Count > 0 || KnownNetworks.Count > 0;
}

/// <summary>
/// Behind a proxy that ends TLS the Portal sees <c>http://</c> and the proxy's address: redirect
/// URIs sent to Microsoft would say http (Entra refuses them) and "from loopback" would mean
/// everyone. Forwarded headers are believed from the configured proxies only (none by default,
/// not even loopback); in Live mode redirect URIs are built from the public host and only that
/// host is served. Every cookie is <c>Secure</c>, whatever the Portal itself was reached by.
/// </summary>
public static class ProxyHeaders
{
    public static WebApplicationBuilder AddProxyHeaders(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ProxyOptions>().Bind(builder.Configuration.GetSection(ProxyOptions.Section))
            .Validate(o => o.KnownProxies.All(p => IPAddress.TryParse(p, out _)),
                "Proxy:KnownProxies must list IP addresses, like '10.0.0.5'.")
            .Validate(o => o.KnownNetworks.All(n => System.Net.IPNetwork.TryParse(n, out _)),
                "Proxy:KnownNetworks must list networks in CIDR notation, like '10.0.0.0/8'.")
            .ValidateOnStart();
        services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ProxyOptions>, IOptions<MicrosoftOptions>, IOptions<TeamsAppOptions>>(
            (forwarded, proxy, microsoft, teamsApp) =>
            {
                forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost;
                forwarded.KnownProxies.Clear();
                forwarded.KnownIPNetworks.Clear();
                foreach (var address in proxy.Value.KnownProxies)
                {
                    forwarded.KnownProxies.Add(IPAddress.Parse(address));
                }

                foreach (var network in proxy.Value.KnownNetworks)
                {
                    forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
                }

                if (microsoft.Value.IsLive)
                {
                    forwarded.AllowedHosts = [PublicHostName(teamsApp.Value)];
                }
            });
        services.AddOptions<HostFilteringOptions>().PostConfigure<IOptions<MicrosoftOptions>, IOptions<TeamsAppOptions>>((hosts, microsoft, teamsApp) =>
        {
            // A Live Portal answers only to its public host; "*" (the development default) stays elsewhere.
            if (microsoft.Value.IsLive && hosts.AllowedHosts.All(h => h == "*"))
            {
                hosts.AllowedHosts = [PublicHostName(teamsApp.Value)];
            }
        });
        services.Configure<CookiePolicyOptions>(cookies => cookies.Secure = CookieSecurePolicy.Always);
        services.AddSingleton<PublicAddress>();
        return builder;
    }

    /// <summary>First in the pipeline: the client's scheme, host and address as the proxy saw them, then the cookie rules.</summary>
    public static WebApplication UseProxyHeaders(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<ProxyOptions>>().Value.IsConfigured)
        {
            app.UseForwardedHeaders();
        }

        app.UseCookiePolicy();
        return app;
    }

    private static string PublicHostName(TeamsAppOptions teamsApp) =>
        Uri.TryCreate($"https://{teamsApp.PortalHost}", UriKind.Absolute, out var uri) ? uri.Host : teamsApp.PortalHost;
}

/// <summary>
/// The Portal's address as people and Microsoft reach it, for redirect URIs. In Live mode the
/// configured public host (<c>TeamsApp:PortalHost</c>, the host registered with Entra); otherwise
/// the request's own scheme and host, after forwarded-headers handling.
/// </summary>
public sealed class PublicAddress(IOptions<MicrosoftOptions> microsoft, IOptions<TeamsAppOptions> teamsApp)
{
    public Uri For(HttpRequest request, string path) => microsoft.Value.IsLive
        ? new Uri($"https://{teamsApp.Value.PortalHost}{path}")
        : new Uri($"{request.Scheme}://{request.Host}{request.PathBase}{path}");
}
