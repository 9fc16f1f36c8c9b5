using System.Net;

namespace IncidentIo.Portal.Tests.Setup;

/// <summary>The page through the real Portal: someone whose sign-in just failed is not signed in.</summary>
public sealed class TroubleshootingPageHttpTests : IAsyncLifetime
{
    private readonly PortalFactory portal = PortalFactory.OnSqlite();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await portal.DisposeAsync();

    [Fact]
    public async Task The_page_answers_without_sign_in()
    {
        var response = await portal.CreateClient(new() { AllowAutoRedirect = false }).GetAsync("/setup/troubleshooting?code=50105&correlation=abc");
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("data-testid=\"troubleshooting-code\"", html, StringComparison.Ordinal);
        Assert.Contains("You are not assigned to IncidentIo.", html, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"troubleshooting-catalogue\"", html, StringComparison.Ordinal);
        Assert.Contains("href=\"mailto:support@incidentio.example?subject=", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_error_page_points_to_it()
    {
        var html = await portal.CreateClient().GetStringAsync("/error");

        Assert.Contains("href=\"/setup/troubleshooting\"", html, StringComparison.Ordinal);
    }
}
