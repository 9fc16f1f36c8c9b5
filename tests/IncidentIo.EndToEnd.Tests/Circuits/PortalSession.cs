using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Http.Connections.Client;

namespace IncidentIo.EndToEnd.Tests.Circuits;

/// <summary>
/// A signed-in person's way into one Portal, shared by many circuit clients: the cookies a real
/// sign-in left in the browser, sent on every page request and hub socket, and one connection pool
/// whose TLS trusts only the Portal's own local certificate authority (<c>certificates/ca.crt</c> in
/// its data folder, the file people trust in a browser), not any certificate at all.
/// </summary>
public sealed class PortalSession : IDisposable
{
    private readonly string cookieHeader;
    private readonly X509Certificate2 authority;
    private readonly SocketsHttpHandler handler;
    private readonly HttpMessageInvoker invoker;
    private readonly HttpClient http;

    public PortalSession(Uri portal, string cookieHeader, string dataFolder)
    {
        Portal = portal;
        this.cookieHeader = cookieHeader;
        authority = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(dataFolder, "certificates", "ca.crt")));
        handler = new SocketsHttpHandler
        {
            // The cookies are the signed-in browser's, set on each request; a redirect (to sign in) is a failure here.
            UseCookies = false,
            AllowAutoRedirect = false,
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => IssuedByAuthority(certificate) },
        };
        invoker = new HttpMessageInvoker(handler, disposeHandler: false);
        http = new HttpClient(handler, disposeHandler: false) { BaseAddress = portal, Timeout = TimeSpan.FromMinutes(2) };
    }

    public Uri Portal { get; }

    /// <summary>The page's prerendered HTML, as the browser gets it before it starts the circuit.</summary>
    public async Task<string> GetPageAsync(string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("Cookie", cookieHeader);
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode} (to {response.Headers.Location}), not the page: is the person still signed in?");
        }

        return await response.Content.ReadAsStringAsync(cancellationToken);
    }

    /// <summary>The hub's WebSocket, through the shared pool, with the person's cookies (SignalR's <c>WebSocketFactory</c>).</summary>
    public async ValueTask<WebSocket> ConnectWebSocketAsync(WebSocketConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        try
        {
            socket.Options.SetRequestHeader("Cookie", cookieHeader);
            await socket.ConnectAsync(context.Uri, invoker, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>What blazor.web.js sends when its page goes away: the server ends the circuit at once rather than keeping it for a reconnect.</summary>
    public async Task DisconnectAsync(string circuitSecret, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "_blazor/disconnect")
        {
            Content = new MultipartFormDataContent { { new StringContent(circuitSecret), "circuitId" } },
        };
        request.Headers.Add("Cookie", cookieHeader);
        using var response = await http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    private bool IssuedByAuthority(X509Certificate? certificate)
    {
        if (certificate is not X509Certificate2 presented)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(presented);
    }

    public void Dispose()
    {
        http.Dispose();
        invoker.Dispose();
        handler.Dispose();
        authority.Dispose();
    }
}
