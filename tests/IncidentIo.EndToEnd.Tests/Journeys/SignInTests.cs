using IncidentIo.Testing;
using Microsoft.Playwright;

namespace IncidentIo.EndToEnd.Tests.Journeys;

/// <summary>
/// "Sign in with Microsoft" in a real browser: the Portal's Microsoft.Identity.Web against the
/// Sandbox it hosts, over https, with the Sandbox's sign-in and consent pages.
/// </summary>
public sealed class SignInTests : IAsyncLifetime
{
    private readonly string dataFolder = Path.Combine(Path.GetTempPath(), $"incidentio-signin-{Guid.NewGuid():N}");
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
    public async Task A_customer_admin_signs_in_with_microsoft_and_out_again()
    {
        var page = await browser.NewPageAsync();
        await page.GotoAsync($"{url}/system");
        await Browser.WaitForCircuitAsync(page);

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in with Microsoft" }).ClickAsync();
        await page.GetByLabel("Email").FillAsync("admin@contoso.example");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        var accept = page.GetByRole(AriaRole.Button, new() { Name = "Accept" });
        await page.WaitForURLAsync(u => u.StartsWith(url, StringComparison.Ordinal) || u.Contains("consent", StringComparison.OrdinalIgnoreCase)
                                         || u.Contains("login", StringComparison.OrdinalIgnoreCase), new() { Timeout = 15_000 });
        if (await accept.CountAsync() > 0)
        {
            await Browser.ScreenshotAsync(page, "sign-in-consent");
            await accept.ClickAsync();
        }

        await page.WaitForURLAsync($"{url}/system", new() { Timeout = 15_000 });
        await Browser.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByTestId("signed-in-as")).ToHaveTextAsync("Adele Admin");
        await Browser.ScreenshotAsync(page, "signed-in");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.WaitForURLAsync(u => u.StartsWith(url, StringComparison.Ordinal) && !u.Contains("signout", StringComparison.Ordinal), new() { Timeout = 15_000 });
        await Browser.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign in with Microsoft" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Sign_in_never_sends_the_browser_to_another_site_afterwards()
    {
        var page = await browser.NewPageAsync();

        var response = await page.GotoAsync($"{url}/signin?returnUrl=https%3A%2F%2Fevil.example%2F");

        // The challenge goes to the Sandbox's sign-in page; the return address was replaced by "/".
        Assert.True(response!.Ok);
        await page.GetByLabel("Email").FillAsync("user@contoso.example");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        var accept = page.GetByRole(AriaRole.Button, new() { Name = "Accept" });
        await page.WaitForLoadStateAsync();
        if (await accept.CountAsync() > 0)
        {
            await accept.ClickAsync();
        }

        await page.WaitForURLAsync($"{url}/", new() { Timeout = 15_000 });
    }
}
