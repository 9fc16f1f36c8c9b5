using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace IncidentIo.Portal.Tests.Shell;

public sealed partial class PortalShellTests : IAsyncLifetime
{
    private readonly PortalFactory portal = PortalFactory.OnSqlite();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await portal.DisposeAsync();

    [Fact]
    public async Task The_home_page_tells_a_newcomer_where_to_go()
    {
        var html = await portal.CreateClient().GetStringAsync("/");

        Assert.Contains("Welcome to IncidentIo for Microsoft Teams", html, StringComparison.Ordinal);
        foreach (var area in new[] { "/setup", "/incidents", "/support", "/system" })
        {
            Assert.Contains($"href=\"{area}\"", html, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_page_loads_MudBlazor_and_nothing_from_another_origin()
    {
        var html = await portal.CreateClient().GetStringAsync("/");

        Assert.Matches("_content/MudBlazor/MudBlazor.min(\\.[a-z0-9]+)?\\.css", html);
        Assert.Matches("_content/MudBlazor/MudBlazor.min(\\.[a-z0-9]+)?\\.js", html);
        var external = ExternalReference().Matches(html).Select(m => m.Value).ToList();
        Assert.True(external.Count == 0, "External references: " + string.Join(", ", external));
    }

    [Fact]
    public async Task Every_asset_the_page_references_is_served()
    {
        var client = portal.CreateClient();
        var html = await client.GetStringAsync("/");

        var assets = LocalAsset().Matches(html).Select(m => m.Groups["path"].Value).Distinct().ToList();
        Assert.NotEmpty(assets);
        foreach (var asset in assets)
        {
            var response = await client.GetAsync(asset);
            Assert.True(response.IsSuccessStatusCode, $"{asset}: {(int)response.StatusCode}");
        }
    }

    [Fact]
    public async Task An_unknown_address_gets_the_not_found_page_with_404()
    {
        var response = await portal.CreateClient().GetAsync("/no/such/page");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("Page not found", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_error_page_renders_without_a_circuit()
    {
        var html = await portal.CreateClient().GetStringAsync("/error");

        Assert.Contains("Something went wrong", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<!--Blazor:{\"type\":\"server\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Healthz_reports_the_database_and_the_in_process_job_server_to_a_caller_with_the_key()
    {
        var response = await portal.CreateHealthClient().GetAsync("/healthz");
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", body.RootElement.GetProperty("status").GetString());
        var checks = body.RootElement.GetProperty("checks");
        Assert.Equal("Healthy", checks.GetProperty("database").GetProperty("status").GetString());
        Assert.Equal("Healthy", checks.GetProperty("jobs").GetProperty("status").GetString());
        Assert.Equal(1, checks.GetProperty("jobs").GetProperty("data").GetProperty("servers").GetInt32());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("portal-health-key-for-testZ")]
    [InlineData("")]
    public async Task Healthz_tells_anyone_else_the_status_and_nothing_more(string? key)
    {
        var client = portal.CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add("X-Health-Key", key);
        }

        var response = await client.GetAsync("/healthz");
        var text = await response.Content.ReadAsStringAsync();
        using var body = JsonDocument.Parse(text);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", body.RootElement.GetProperty("status").GetString());
        Assert.Equal(["status"], body.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.DoesNotContain("Sqlite", text, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_job_dashboard_is_not_open_to_remote_requests()
    {
        // The in-memory test server has no client address, as a remote caller would look.
        var response = await portal.CreateClient().GetAsync("/hangfire");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [GeneratedRegex("(?:href|src)=\"(?:https?:)?//[^\"]+\"")]
    private static partial Regex ExternalReference();

    [GeneratedRegex("(?:href|src)=\"(?<path>(?:_content|_framework|[a-zA-Z]+\\.(?:css|svg|js))[^\"#?]*)\"")]
    private static partial Regex LocalAsset();
}
