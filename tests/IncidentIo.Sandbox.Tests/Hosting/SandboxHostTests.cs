using System.Net;
using System.Text.Json;
using IncidentIo.Sandbox.Hosting;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Tests.Infrastructure;

namespace IncidentIo.Sandbox.Tests.Hosting;

public sealed class SandboxHostTests
{
    [Fact]
    public async Task Starts_on_a_free_loopback_port_with_the_given_certificate_and_stops()
    {
        await using var host = await SandboxHost.StartAsync(new SandboxOptions { ServerCertificate = TestCertificates.Authority.ServerCertificate });
        Assert.StartsWith("https://localhost:", host.Origin, StringComparison.Ordinal);

        using var http = new HttpClient(TestCertificates.Authority.CreateHandler(host.Origin));
        var tenants = JsonDocument.Parse(await http.GetStringAsync($"{host.Origin}/sandbox/api/tenants")).RootElement;
        Assert.Contains(tenants.EnumerateArray(), t => t.GetProperty("id").GetGuid() == DemoSeed.ContosoTenantId);

        await host.StopAsync();
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync($"{host.Origin}/sandbox/api/tenants"));
    }

    [Fact]
    public async Task A_client_without_the_sandbox_CA_refuses_the_connection()
    {
        await using var host = await SandboxHost.StartAsync(new SandboxOptions { ServerCertificate = TestCertificates.Authority.ServerCertificate });
        using var other = SandboxCertificateAuthority.Create();
        using var http = new HttpClient(other.CreateTrustingHandler());

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync($"{host.Origin}/sandbox/api/tenants"));
        Assert.Equal(HttpRequestError.SecureConnectionError, error.HttpRequestError);
    }

    [Fact]
    public void The_test_CA_trusts_its_server_certificate_only()
    {
        using var other = SandboxCertificateAuthority.Create();
        Assert.True(TestCertificates.Authority.Trusts(TestCertificates.Authority.ServerCertificate));
        Assert.False(TestCertificates.Authority.Trusts(other.ServerCertificate));
    }

    [Fact]
    public async Task The_client_handler_sends_microsoft_hosts_to_the_sandbox_and_refuses_others()
    {
        await using var host = await SandboxHost.StartAsync(new SandboxOptions { ServerCertificate = TestCertificates.Authority.ServerCertificate });
        using var http = new HttpClient(TestCertificates.Authority.CreateHandler(host.Origin));

        using var discovery = await http.GetAsync("https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration");
        Assert.Equal(HttpStatusCode.OK, discovery.StatusCode);
        Assert.Contains(host.Origin, await discovery.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("https://example.com/"));
    }

    [Fact]
    public async Task Control_api_adds_a_user_and_lists_users_apps_and_grants()
    {
        await using var host = await SandboxHost.StartAsync(new SandboxOptions { ServerCertificate = TestCertificates.Authority.ServerCertificate });
        using var http = new HttpClient(TestCertificates.Authority.CreateHandler(host.Origin)) { BaseAddress = new Uri(host.Origin) };

        using var created = await http.PostAsync("/sandbox/api/tenants/contoso.example/users",
            JsonContent("""{"userPrincipalName":"new.person@contoso.example","displayName":"New Person"}"""));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var duplicate = await http.PostAsync("/sandbox/api/tenants/contoso.example/users",
            JsonContent("""{"userPrincipalName":"new.person@contoso.example","displayName":"New Person"}"""));
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);

        var users = JsonDocument.Parse(await http.GetStringAsync("/sandbox/api/tenants/contoso.example/users")).RootElement;
        Assert.Equal(DemoSeed.ContosoUserCount + 1, users.GetArrayLength());

        host.RegisterApp(new AppRegistration { ClientId = "a1", DisplayName = "Listed", ClientSecrets = ["hidden"] });
        host.State.GrantAdminConsent(DemoSeed.ContosoTenantId, "a1", ["User.Read.All"], []);
        var apps = await http.GetStringAsync("/sandbox/api/apps");
        Assert.Contains("Listed", apps, StringComparison.Ordinal);
        Assert.DoesNotContain("hidden", apps, StringComparison.Ordinal);
        Assert.Contains("User.Read.All", await http.GetStringAsync("/sandbox/api/grants"), StringComparison.Ordinal);
    }

    private static StringContent JsonContent(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}
