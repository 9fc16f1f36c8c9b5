using IncidentIo.Sandbox.Hosting;
using IncidentIo.Sandbox.State;
using Microsoft.Graph;
using Microsoft.Identity.Client;
using Microsoft.Kiota.Abstractions.Authentication;

namespace IncidentIo.Sandbox.Tests.Infrastructure;

/// <summary>
/// A seeded Sandbox on a free loopback port, and the real clients pointed at it: MSAL with the
/// Sandbox as authority, the Graph SDK with the Sandbox as base URL, and a cookie-keeping browser.
/// Each test registers its own app so grants never leak between tests.
/// </summary>
public sealed class SandboxFixture : IAsyncLifetime
{
    public const string RedirectUri = "https://portal.test/signin-oidc";
    public const string ConsentRedirectUri = "https://portal.test/setup/consent-callback";

    private SandboxHost? _host;

    public ManualClock Clock { get; } = new();

    public SandboxHost Host => _host ?? throw new InvalidOperationException("Not started.");

    public string Origin => Host.Origin;

    public SandboxState State => Host.State;

    public HttpClient Http { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _host = await SandboxHost.StartAsync(new SandboxOptions
        {
            ServerCertificate = TestCertificates.Authority.ServerCertificate,
            TimeProvider = Clock,
        });
        Http = new HttpClient(TestCertificates.Authority.CreateHandler(Origin)) { BaseAddress = new Uri(Origin) };
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }
    }

    /// <summary>Registers a fresh app like the product's main app; callers change what they need.</summary>
    public AppRegistration RegisterApp(Func<AppRegistration, AppRegistration>? change = null)
    {
        var app = new AppRegistration
        {
            ClientId = Guid.NewGuid().ToString(),
            DisplayName = "IncidentIo",
            ClientSecrets = ["s3cret-value"],
            RedirectUris = [RedirectUri, ConsentRedirectUri],
            ApplicationPermissions = ["User.Read.All", "Organization.Read.All"],
            DelegatedScopes = ["User.Read"],
        };
        return Host.RegisterApp(change is null ? app : change(app));
    }

    public IConfidentialClientApplication Msal(AppRegistration app, string tenant) =>
        ConfidentialClientApplicationBuilder.Create(app.ClientId)
            .WithClientSecret(app.ClientSecrets[0])
            .WithAuthority($"{Origin}/{tenant}")
            .WithRedirectUri(RedirectUri)
            .WithHttpClientFactory(new MsalHttpClientFactory(Http))
            .Build();

    public async Task<string> AppTokenAsync(AppRegistration app, Guid tenantId) =>
        (await Msal(app, tenantId.ToString()).AcquireTokenForClient(["https://graph.microsoft.com/.default"]).ExecuteAsync()).AccessToken;

    /// <summary>A Graph SDK client against the Sandbox, with the SDK's default middleware.</summary>
    public GraphServiceClient Graph(Func<Task<string>> token)
    {
        var http = GraphClientFactory.Create(finalHandler: TestCertificates.Authority.CreateHandler(Origin));
        var auth = new BaseBearerTokenAuthenticationProvider(new TokenProvider(token, new Uri(Origin).Host));
        return new GraphServiceClient(http, auth, $"{Origin}/v1.0");
    }

    public Browser Browser() => new(this);

    public void GrantAdminConsent(AppRegistration app, Guid tenantId) =>
        State.GrantAdminConsent(tenantId, app.ClientId, app.ApplicationPermissions, app.DelegatedScopes);
}

[CollectionDefinition(Name)]
public sealed class SharedSandbox : ICollectionFixture<SandboxFixture>
{
    public const string Name = "Sandbox";
}

/// <summary>A Sandbox of its own for tests that move its clock, so the shared one keeps real time.</summary>
[CollectionDefinition(Name)]
public sealed class MovingClockSandbox : ICollectionFixture<SandboxFixture>
{
    public const string Name = "Sandbox with a moving clock";
}
