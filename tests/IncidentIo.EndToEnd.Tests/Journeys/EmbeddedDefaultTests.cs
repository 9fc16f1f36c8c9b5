using Microsoft.Playwright;

namespace IncidentIo.EndToEnd.Tests.Journeys;

/// <summary>The embedded default as a newcomer meets it: no settings, https, SQLite, jobs in the Portal.</summary>
public sealed class EmbeddedDefaultTests : PortalJourney
{
    [Fact]
    public async Task A_newcomer_lands_on_the_home_page_over_https_and_can_navigate()
    {
        var page = await Browser.NewPageAsync();
        var response = await page.GotoAsync(Url);

        Assert.True(response!.Ok);
        Assert.StartsWith("https://", page.Url, StringComparison.Ordinal);
        await Browser.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Welcome to IncidentIo for Microsoft Teams" })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Setup" }).First.ClickAsync();
        await page.WaitForURLAsync($"{Url}/setup");
        await Browser.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByTestId("setup-sign-in")).ToBeVisibleAsync();
        await Browser.ScreenshotAsync(page, "embedded-setup");
    }

    [Fact]
    public async Task The_in_process_job_server_runs_a_heartbeat_asked_for_in_the_browser()
    {
        // Operators only: in Production that is our support staff, signed in.
        var page = await SignInAsync("staff@incidentio.example", "/system");

        await Assertions.Expect(page.GetByTestId("database-provider")).ToHaveTextAsync("Sqlite");
        await Assertions.Expect(page.GetByTestId("job-mode")).ToHaveTextAsync("InProcess");
        await page.GetByTestId("run-heartbeat").ClickAsync();

        var result = page.GetByTestId("heartbeat-result");
        await Assertions.Expect(result).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^Picked up by portal \S+ after \d+ ms\.$"), new() { Timeout = 20_000 });
        await Browser.ScreenshotAsync(page, "embedded-system-status");
        Assert.True(File.Exists(Path.Combine(DataFolder, "incidentio.db")), "The embedded default keeps its database in the data folder.");
        Assert.True(File.Exists(Path.Combine(DataFolder, "certificates", "ca.crt")), "The local authority's certificate is there to be trusted.");
    }
}
