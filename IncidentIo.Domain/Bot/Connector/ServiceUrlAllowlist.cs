using IncidentIo.Domain.Hosting;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Bot.Connector;

/// <summary>
/// The hosts a Teams <c>serviceUrl</c> may name. The connector is called with our bot's token at
/// whatever address an activity names, so an activity naming another host is refused on arrival
/// and a stored address naming one is never called. Live: <c>Bot:Connector:AllowedServiceUrlHosts</c>,
/// or Microsoft's documented Teams hosts when it is empty. Sandbox: the Sandbox's origin only.
/// </summary>
public sealed class ServiceUrlAllowlist
{
    private readonly IReadOnlyList<(string Host, int Port)> allowed;

    public ServiceUrlAllowlist(IOptions<BotConnectorOptions> connector, IOptions<MicrosoftOptions> microsoft)
    {
        var hosts = microsoft.Value.IsSandbox
            ? [new Uri(microsoft.Value.SandboxOrigin).Authority]
            : connector.Value.AllowedServiceUrlHosts is { Length: > 0 } configured ? configured : BotConnectorOptions.DocumentedTeamsHosts;
        allowed = [.. hosts.Select(Parse)];
        Hosts = hosts;
    }

    /// <summary>The allowed hosts as configured (<c>host</c> or <c>host:port</c>), for messages.</summary>
    public IReadOnlyList<string> Hosts { get; }

    /// <summary>True for an absolute https address on an allowed host and port.</summary>
    public bool Allows(string? serviceUrl) => Uri.TryCreate(serviceUrl, UriKind.Absolute, out var uri) && Allows(uri);

    public bool Allows(Uri address) =>
        address.IsAbsoluteUri
        && address.Scheme == Uri.UriSchemeHttps
        && string.IsNullOrEmpty(address.UserInfo)
        && allowed.Any(a => string.Equals(a.Host, address.IdnHost, StringComparison.OrdinalIgnoreCase) && a.Port == address.Port);

    /// <summary>A configured entry as host and port (443 unless it names one); the validator has checked its form.</summary>
    internal static (string Host, int Port) Parse(string entry)
    {
        var uri = new Uri($"https://{entry.Trim()}/");
        return (uri.IdnHost, uri.Port);
    }

    /// <summary>Whether an entry is a bare host name with an optional port: no scheme, path, query or user.</summary>
    internal static bool IsHostEntry(string? entry) =>
        entry is { Length: > 0 }
        && entry.Trim() == entry
        && Uri.TryCreate($"https://{entry}/", UriKind.Absolute, out var uri)
        && uri.AbsolutePath == "/" && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.UserInfo)
        && uri.HostNameType is UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6
        && string.Equals(uri.Authority, entry, StringComparison.OrdinalIgnoreCase);
}
