using Microsoft.Playwright;

namespace IncidentIo.EndToEnd.Tests.Journeys;

/// <summary>
/// "Sign in with Microsoft" in a real browser: the Portal's Microsoft.Identity.Web against the
/// Sandbox it hosts, over https, with the Sandbox's sign-in and consent pages.
/// </summary>
public sealed class SignInTests : PortalJourney
{
    [Fact]
    public async Task A_customer_admin_signs_in_with_microsoft_and_out_again()
    {
        var page = await Browser.NewPageAsync();
        await page.GotoAsync($"{Url}/system");
        await Browser.WaitForCircuitAsync(page);

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in with Microsoft" }).ClickAsync();
        await page.GetByLabel("Email").FillAsync("admin@contoso.example");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        var accept = page.GetByRole(AriaRole.Button, new() { Name = "Accept" });
        await page.WaitForURLAsync(u => u.StartsWith(Url, StringComparison.Ordinal) || u.Contains("consent", StringComparison.OrdinalIgnoreCase)
                                         || u.Contains("login", StringComparison.OrdinalIgnoreCase), new() { Timeout = 15_000 });
        if (await accept.CountAsync() > 0)
        {
            await Browser.ScreenshotAsync(page, "sign-in-consent");
            await accept.ClickAsync();
        }

        await page.WaitForURLAsync($"{Url}/system", new() { Timeout = 15_000 });
        await Browser.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByTestId("signed-in-as")).ToHaveTextAsync("Adele Admin");
        await Browser.ScreenshotAsync(page, "signed-in");

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.WaitForURLAsync(u => u.StartsWith(Url, StringComparison.Ordinal) && !u.Contains("signout", StringComparison.Ordinal), new() { Timeout = 15_000 });
        await Browser.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByRole(AriaRole.Button, new() { Name = "Sign in with Microsoft" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task Sign_in_never_sends_the_browser_to_another_site_afterwards()
    {
        var page = await Browser.NewPageAsync();

        var response = await page.GotoAsync($"{Url}/signin?returnUrl=https%3A%2F%2Fevil.example%2F");

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

        await page.WaitForURLAsync($"{Url}/", new() { Timeout = 15_000 });
    }

    [Fact]
    public async Task A_refused_sign_in_lands_on_troubleshooting_with_microsofts_code_and_ids()
    {
        var page = await Browser.NewPageAsync();
        await page.GotoAsync($"{Url}/signin?returnUrl=%2Fsetup");
        // Nobody else signs in as this user in this class: Microsoft asks for consent, and they decline.
        await page.GetByLabel("Email").FillAsync("loner1@contoso.example");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync(new() { Timeout = 15_000 });

        await page.WaitForURLAsync(u => u.StartsWith($"{Url}/setup/troubleshooting?code=65004", StringComparison.Ordinal), new() { Timeout = 15_000 });
        Assert.Matches("correlation=[0-9a-f-]{36}", page.Url);
        await Browser.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByTestId("troubleshooting-code")).ToContainTextAsync("65004");
    }
}
