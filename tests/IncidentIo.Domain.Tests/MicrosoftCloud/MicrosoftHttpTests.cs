using System.Net;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Sandbox.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Identity.Client;

namespace IncidentIo.Domain.Tests.MicrosoftCloud;

/// <summary>In Sandbox mode the product's Microsoft-facing client reaches the Sandbox, trusting its authority only.</summary>
public sealed class MicrosoftHttpTests : IAsyncLifetime
{
    private readonly string dataFolder = Directory.CreateTempSubdirectory("incidentio-http-").FullName;
    private LocalCertificates certificates = null!;
    private SandboxHost sandbox = null!;

    public async Task InitializeAsync()
    {
        certificates = LocalCertificates.LoadOrCreate(new DataFolder(dataFolder));
        sandbox = await SandboxHost.StartAsync(new SandboxOptions { ServerCertificate = certificates.Server });
    }

    public async Task DisposeAsync()
    {
        await sandbox.DisposeAsync();
        Directory.Delete(dataFolder, recursive: true);
    }

    private ServiceProvider Services(string origin, string? authorityPath = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Microsoft:Mode"] = "Sandbox",
            ["Microsoft:SandboxOrigin"] = origin,
            ["Microsoft:SandboxAuthorityCertificatePath"] = authorityPath,
        }).Build();
        var services = new ServiceCollection().AddLogging().AddSingleton(new DataFolder(dataFolder)).AddSingleton(certificates);
        services.AddOptions<MicrosoftOptions>().Bind(configuration.GetSection("Microsoft"));
        return services.AddMicrosoftHttp().BuildValidated();
    }

    [Fact]
    public async Task Msal_instance_discovery_on_microsofts_host_is_answered_by_the_sandbox()
    {
        using var services = Services(sandbox.Origin);
        var client = services.GetRequiredService<IMsalHttpClientFactory>().GetHttpClient();

        var response = await client.GetAsync(
            "https://login.microsoftonline.com/common/discovery/instance?api-version=1.1&authorization_endpoint=https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(new Uri(sandbox.Origin).Authority, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Any_other_host_is_refused_before_a_connection_is_made()
    {
        using var services = Services(sandbox.Origin);
        var client = services.GetRequiredService<IHttpClientFactory>().CreateClient(MicrosoftHttp.ClientName);

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync("https://example.com/"));

        Assert.Contains("reach only the Sandbox", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sandbox_certificate_from_another_authority_is_not_trusted()
    {
        using var stranger = SandboxCertificateAuthority.Create();
        await using var impostor = await SandboxHost.StartAsync(new SandboxOptions { ServerCertificate = stranger.ServerCertificate });
        using var services = Services(impostor.Origin);
        var client = services.GetRequiredService<IHttpClientFactory>().CreateClient(MicrosoftHttp.ClientName);

        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync($"{impostor.Origin}/common/v2.0/.well-known/openid-configuration"));

        Assert.IsType<System.Security.Authentication.AuthenticationException>(failure.InnerException);
    }

    [Fact]
    public async Task A_configured_authority_file_is_used_instead_of_the_local_one()
    {
        using var other = SandboxCertificateAuthority.Create();
        var path = Path.Combine(dataFolder, "other-ca.crt");
        await File.WriteAllTextAsync(path, other.Root.ExportCertificatePem());
        using var services = Services(sandbox.Origin, path);
        var client = services.GetRequiredService<IHttpClientFactory>().CreateClient(MicrosoftHttp.ClientName);

        // The Sandbox serves a certificate from the local authority, which is now not the trusted one.
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync($"{sandbox.Origin}/common/v2.0/.well-known/openid-configuration"));
    }
}
