using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace IncidentIo.Portal.Tests.TeamsTab;

/// <summary>
/// Teams shows our tab in an iframe on its own site: the tab pages may be framed by Teams (and, in
/// Sandbox mode, the Sandbox's Teams view); every other page by nobody but us.
/// </summary>
public sealed class TeamsTabFramingTests : IAsyncLifetime
{
    private readonly PortalFactory portal = PortalFactory.OnSqlite();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await portal.DisposeAsync();

    private HttpClient Client => portal.CreateClient(new() { AllowAutoRedirect = false });

    [Theory]
    [InlineData("/teams/tab")]
    [InlineData("/teams/configure")]
    public async Task Tab_pages_open_without_sign_in_and_may_be_framed_by_teams(string path)
    {
        var response = await Client.GetAsync(path);
        var policy = response.Headers.GetValues("Content-Security-Policy").Single();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("frame-ancestors 'self' ", policy, StringComparison.Ordinal);
        Assert.Contains(" https://teams.microsoft.com ", policy, StringComparison.Ordinal);
        Assert.Contains(" https://*.cloud.microsoft ", policy, StringComparison.Ordinal);
        // The Sandbox's Teams view stands in for Teams in the embedded default.
        var sandbox = new Uri(portal.Services.GetRequiredService<IConfiguration>()["Microsoft:SandboxOrigin"]!).GetLeftPart(UriPartial.Authority);
        Assert.Contains(sandbox, policy, StringComparison.Ordinal);
        Assert.False(response.Headers.Contains("X-Frame-Options"));
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/setup/troubleshooting")]
    [InlineData("/healthz")]
    public async Task Other_pages_may_be_framed_by_nobody_but_us(string path)
    {
        var response = await Client.GetAsync(path);

        Assert.Equal("frame-ancestors 'self'", response.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Fact]
    public async Task The_teams_host_sdk_is_served_by_the_portal_itself()
    {
        var response = await Client.GetAsync("/teams/js/MicrosoftTeams.min.js");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/javascript", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("microsoftTeams", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
