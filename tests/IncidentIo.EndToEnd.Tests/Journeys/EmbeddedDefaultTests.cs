using IncidentIo.Testing;
using Microsoft.Playwright;

namespace IncidentIo.EndToEnd.Tests.Journeys;

/// <summary>The embedded default as a newcomer meets it: no settings, https, SQLite, jobs in the Portal.</summary>
public sealed class EmbeddedDefaultTests : IAsyncLifetime
{
    private readonly string dataFolder = Path.Combine(Path.GetTempPath(), $"incidentio-e2e-{Guid.NewGuid():N}");
    private ProductProcess portal = null!;
    private string url = null!;
    private Browser browser = null!;

    public async Task InitializeAsync()
    {
        (portal, url) = await PortalProcess.StartAsync(new Dictionary<string, string?> { ["DataFolder"] = dataFolder });
        browser = await Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await browser.DisposeAsync();
        await portal.DisposeAsync();
        Directory.Delete(dataFolder, recursive: true);
    }

    [Fact]
    public async Task A_newcomer_lands_on_the_home_page_over_https_and_can_navigate()
    {
        var page = await browser.NewPageAsync();
        var response = await page.GotoAsync(url);

        Assert.True(response!.Ok);
        Assert.StartsWith("https://", page.Url, StringComparison.Ordinal);
        await Browser.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Welcome to IncidentIo for Microsoft Teams" })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Setup" }).First.ClickAsync();
        await page.WaitForURLAsync($"{url}/setup");
        await Browser.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByTestId("setup-sign-in")).ToBeVisibleAsync();
        await Browser.ScreenshotAsync(page, "embedded-setup");
    }

    [Fact]
    public async Task The_in_process_job_server_runs_a_heartbeat_asked_for_in_the_browser()
    {
        var page = await browser.NewPageAsync();
        await page.GotoAsync($"{url}/system");
        await Browser.WaitForCircuitAsync(page);

        await Assertions.Expect(page.GetByTestId("database-provider")).ToHaveTextAsync("Sqlite");
        await Assertions.Expect(page.GetByTestId("job-mode")).ToHaveTextAsync("InProcess");
        await page.GetByTestId("run-heartbeat").ClickAsync();

        var result = page.GetByTestId("heartbeat-result");
        await Assertions.Expect(result).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^Picked up by portal \S+ after \d+ ms\.$"), new() { Timeout = 20_000 });
        await Browser.ScreenshotAsync(page, "embedded-system-status");
        Assert.True(File.Exists(Path.Combine(dataFolder, "incidentio.db")), "The embedded default keeps its database in the data folder.");
        Assert.True(File.Exists(Path.Combine(dataFolder, "certificates", "ca.crt")), "The local authority's certificate is there to be trusted.");
    }
}
