using System.Net.Http.Headers;
using IncidentIo.Sandbox.Hosting;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Throttling;
using Microsoft.Graph;
using Microsoft.Identity.Client;
using Microsoft.Kiota.Abstractions.Authentication;

namespace IncidentIo.Sandbox.Tests.Infrastructure;

/// <summary>
/// A Sandbox of one test's own, for tests that change throttling limits, faults or the clock, or
/// load a large tenant: nothing leaks into the shared one.
/// </summary>
public sealed class OwnSandbox : IAsyncDisposable
{
    private OwnSandbox(SandboxHost host)
    {
        Host = host;
        Http = new HttpClient(TestCertificates.Authority.CreateHandler(host.Origin)) { BaseAddress = new Uri(host.Origin) };
    }

    public SandboxHost Host { get; }

    public string Origin => Host.Origin;

    public SandboxState State => Host.State;

    public HttpClient Http { get; }

    public static async Task<OwnSandbox> StartAsync(ThrottlingOptions? throttling = null, TimeProvider? clock = null, int faultSeed = 42) =>
        new(await SandboxHost.StartAsync(new SandboxOptions
        {
            ServerCertificate = TestCertificates.Authority.ServerCertificate,
            Throttling = throttling ?? new ThrottlingOptions(),
            TimeProvider = clock ?? TimeProvider.System,
            FaultSeed = faultSeed,
        }));

    /// <summary>An app with user and organization read permissions, admin-consented in the tenant.</summary>
    public AppRegistration ConsentedApp(Guid tenantId, params string[] permissions)
    {
        var app = Host.RegisterApp(new AppRegistration
        {
            ClientId = Guid.NewGuid().ToString(),
            DisplayName = "IncidentIo",
            ClientSecrets = ["s3cret-value"],
            RedirectUris = [SandboxFixture.RedirectUri],
            ApplicationPermissions = permissions.Length > 0 ? permissions : ["User.Read.All", "Organization.Read.All"],
        });
        State.GrantAdminConsent(tenantId, app.ClientId, app.ApplicationPermissions, []);
        return app;
    }

    public async Task<string> AppTokenAsync(AppRegistration app, Guid tenantId) =>
        (await ConfidentialClientApplicationBuilder.Create(app.ClientId)
            .WithClientSecret(app.ClientSecrets[0])
            .WithAuthority($"{Origin}/{tenantId}")
            .WithHttpClientFactory(new MsalHttpClientFactory(Http))
            .Build()
            .AcquireTokenForClient(["https://graph.microsoft.com/.default"])
            .ExecuteAsync()).AccessToken;

    /// <summary>The Graph SDK with its default middleware, plus <paramref name="observers"/> after it (they see every attempt).</summary>
    public GraphServiceClient Graph(string token, params DelegatingHandler[] observers)
    {
        var handlers = GraphClientFactory.CreateDefaultHandlers();
        foreach (var observer in observers)
        {
            handlers.Add(observer);
        }

        var http = GraphClientFactory.Create(handlers, finalHandler: TestCertificates.Authority.CreateHandler(Origin));
        var auth = new BaseBearerTokenAuthenticationProvider(new TokenProvider(() => Task.FromResult(token), new Uri(Origin).Host));
        return new GraphServiceClient(http, auth, $"{Origin}/v1.0");
    }

    /// <summary>A plain Graph call with a bearer token, no SDK, no retries.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string graphPath, string token, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, $"/v1.0{graphPath}") { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await Http.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
    }
}

/// <summary>A clock that stands still until the test moves it: throttling buckets refill only then.</summary>
public sealed class SteppedClock : TimeProvider
{
    private DateTimeOffset _now = System.GetUtcNow();

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>
/// Counts what the Graph SDK's handlers actually sent and got back, retries included, and lets a
/// test react to each answer (e.g. move the Sandbox clock on a 429).
/// </summary>
public sealed class ResponseRecorder(Action<HttpResponseMessage>? onResponse = null) : DelegatingHandler
{
    private readonly List<int> _statuses = [];

    public IReadOnlyList<int> Statuses
    {
        get
        {
            lock (_statuses)
            {
                return [.. _statuses];
            }
        }
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        lock (_statuses)
        {
            _statuses.Add((int)response.StatusCode);
        }

        onResponse?.Invoke(response);
        return response;
    }
}
