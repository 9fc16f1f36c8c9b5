using Microsoft.Playwright;

namespace IncidentIo.EndToEnd.Tests.Journeys;

/// <summary>
/// The guided setup in Chromium against the Portal and the Sandbox it hosts: sign in, organisation,
/// plan, global permissions (admin consent #1), and the ways that consent can go wrong.
/// </summary>
public sealed class SetupJourneyTests : PortalJourney
{
    [Fact]
    public async Task An_admin_walks_from_sign_in_to_granted_global_permissions()
    {
        var page = await SignInToSetupAsync("admin@contoso.example");

        await Assertions.Expect(page.GetByLabel("Organisation name")).ToHaveValueAsync("Contoso");
        await page.GetByLabel("Organisation name").FillAsync("Contoso Ltd");
        await page.GetByTestId("confirm-details").ClickAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Choose Pro" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("global-permissions")).ToContainTextAsync("TeamsAppInstallation.ReadWriteAndConsentSelfForUser.All");
        await page.GetByTestId("grant-global").ClickAsync();
        await ChooseAccountIfAskedAsync(page, "admin@contoso.example");

        // Microsoft's (the Sandbox's) admin consent page lists what we asked for.
        var accept = page.GetByRole(AriaRole.Button, new() { Name = "Accept" });
        await accept.WaitForAsync(new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("body")).ToContainTextAsync("User.ReadBasic.All");
        await Browser.ScreenshotAsync(page, "setup-admin-consent");
        await accept.ClickAsync();

        await page.WaitForURLAsync($"{Url}/setup?consent=granted", new() { Timeout = 15_000 });
        await Browser.WaitForCircuitAsync(page);
        // Done steps fold away: the stepper moves on to installing the Teams app.
        await Assertions.Expect(page.GetByTestId("global-granted")).ToBeAttachedAsync();
        await Assertions.Expect(page.GetByTestId("setup-notice")).ToContainTextAsync("Global permissions granted");
        await Assertions.Expect(page.GetByTestId("download-package")).ToBeVisibleAsync();
        // The manual path's check asks Graph which teams have our app: none yet in Contoso.
        await page.GetByTestId("check-installation").ClickAsync();
        await Assertions.Expect(page.GetByTestId("check-result")).ToContainTextAsync("Not found in any of your 2 team(s) yet", new() { Timeout = 15_000 });
        await Browser.ScreenshotAsync(page, "setup-global-granted");

        // Setup resumes where it stands after a reload.
        await page.GotoAsync($"{Url}/setup");
        await Browser.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByTestId("global-granted")).ToBeAttachedAsync();
        await Assertions.Expect(page.GetByTestId("download-package")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByLabel("Organisation name")).ToHaveValueAsync("Contoso Ltd");
    }

    [Fact]
    public async Task A_cancelled_consent_is_explained_with_microsofts_ids()
    {
        var page = await SignInToSetupAsync("admin@contoso.example");
        await page.GetByTestId("confirm-details").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Choose Basic" }).ClickAsync();
        await page.GetByTestId("grant-global").ClickAsync();
        await ChooseAccountIfAskedAsync(page, "admin@contoso.example");

        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync(new() { Timeout = 15_000 });

        await page.WaitForURLAsync($"{Url}/setup?consent=failed", new() { Timeout = 15_000 });
        await Browser.WaitForCircuitAsync(page);
        var failure = page.GetByTestId("consent-failure");
        await Assertions.Expect(failure).ToContainTextAsync("You cancelled the permission request.");
        await Assertions.Expect(page.GetByTestId("consent-ids")).ToContainTextAsync("AADSTS65004");
        await Assertions.Expect(page.GetByTestId("consent-ids")).ToContainTextAsync(new System.Text.RegularExpressions.Regex("correlation id [0-9a-f-]{36}"));
        await Assertions.Expect(page.GetByTestId("grant-global")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_non_admin_is_told_to_ask_their_admin_and_gets_a_link_to_forward()
    {
        var page = await SignInToSetupAsync("user@contoso.example");
        await page.GetByTestId("confirm-details").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Choose Team" }).ClickAsync();
        await page.GetByTestId("grant-global").ClickAsync();
        await ChooseAccountIfAskedAsync(page, "user@contoso.example");

        await page.GetByText("Return to the application without granting consent").ClickAsync(new() { Timeout = 15_000 });

        await page.WaitForURLAsync($"{Url}/setup?consent=failed", new() { Timeout = 15_000 });
        await Browser.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByTestId("consent-failure")).ToContainTextAsync("A Microsoft admin has to grant these permissions.");
        await Assertions.Expect(page.GetByTestId("forward-link")).ToHaveTextAsync($"{Url}/setup");
        await Assertions.Expect(page.GetByTestId("consent-ids")).ToContainTextAsync("AADSTS90094");
    }

    [Fact]
    public async Task A_forged_answer_is_ignored_and_changes_nothing()
    {
        var page = await SignInToSetupAsync("admin@contoso.example");
        await page.GetByTestId("confirm-details").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Choose Basic" }).ClickAsync();

        await page.GotoAsync($"{Url}/setup/consent/global?admin_consent=True&tenant=c0a7050c-0000-4000-8000-000000000000&state=forged&scope=x");

        await Browser.WaitForCircuitAsync(page);
        Assert.Equal($"{Url}/setup?consent=rejected-notyours", page.Url);
        await Assertions.Expect(page.GetByTestId("setup-notice")).ToContainTextAsync("does not belong to a permission request you started here");
        await Assertions.Expect(page.GetByTestId("grant-global")).ToBeVisibleAsync();
    }

    /// <summary>Microsoft asks which account to use when it cannot tell; pick (or type) the one signed in before.</summary>
    private static async Task ChooseAccountIfAskedAsync(IPage page, string email)
    {
        var tile = page.Locator("button.tile", new() { HasText = email });
        var emailBox = page.GetByLabel("Email");
        var onward = page.GetByRole(AriaRole.Button, new() { Name = "Accept" }).Or(page.Locator("a#return"));
        await tile.Or(emailBox).Or(onward).First.WaitForAsync(new() { Timeout = 15_000 });
        if (await tile.IsVisibleAsync())
        {
            await tile.ClickAsync();
        }
        else if (await emailBox.IsVisibleAsync())
        {
            await emailBox.FillAsync(email);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        }
    }

    private async Task<IPage> SignInToSetupAsync(string email)
    {
        var page = await Browser.NewPageAsync();
        await page.GotoAsync($"{Url}/setup");
        await Browser.WaitForCircuitAsync(page);
        await page.GetByTestId("setup-sign-in").ClickAsync();
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForLoadStateAsync();
        var accept = page.GetByRole(AriaRole.Button, new() { Name = "Accept" });
        if (!page.Url.StartsWith(Url, StringComparison.Ordinal) && await accept.CountAsync() > 0)
        {
            await accept.ClickAsync();
        }

        await page.WaitForURLAsync($"{Url}/setup", new() { Timeout = 15_000 });
        await Browser.WaitForCircuitAsync(page);
        return page;
    }
}
