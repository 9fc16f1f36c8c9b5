using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace IncidentIo.EndToEnd.Tests.Journeys;

/// <summary>
/// The guided setup in Chromium against the Portal and the Sandbox it hosts: sign in, organisation,
/// plan, both admin consents, the automatic install to an "Incidents" team with our app and tab,
/// the manual install, and the ways consent can go wrong.
/// </summary>
public sealed class SetupJourneyTests : PortalJourney
{
    private const string Contoso = "contoso.example";
    private const string OurTeamsAppId = "8d3f2b6e-4c1a-4e57-9b0d-2f6a7c9e1d01";
    private const string SetupAppClientId = "5a1d7c3e-9b2f-4e61-8c4d-0f3e2a1b9c02";
    private const string EngineeringTeamId = "c0a7050c-0002-4000-8000-000000000001";

    [Fact]
    public async Task An_admin_walks_the_whole_journey_to_an_Incidents_team_with_our_app_and_tab()
    {
        var page = await SignInToSetupAsync("admin@contoso.example");
        await page.GetByLabel("Organisation name").FillAsync("Contoso Ltd");
        await page.GetByTestId("confirm-details").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Choose Pro" }).ClickAsync();
        await GrantAtMicrosoftAsync(page, page.GetByTestId("grant-global"), "User.ReadBasic.All", "setup-admin-consent");
        await page.WaitForURLAsync($"{Url}/setup?consent=granted", new() { Timeout = 30_000 });
        await Browser.WaitForCircuitAsync(page);

        // Permission step two of two: another app, visibly so.
        var setupPermissions = page.GetByTestId("setup-permissions");
        await Assertions.Expect(setupPermissions).ToContainTextAsync("step 2 of 2: temporary setup permissions");
        await Assertions.Expect(page.GetByTestId("setup-permission-list")).ToContainTextAsync("Team.Create");

        // A second tab follows along without reloading.
        var watcher = await page.Context.NewPageAsync();
        await watcher.GotoAsync($"{Url}/setup");
        await Browser.WaitForCircuitAsync(watcher);
        await Assertions.Expect(watcher.GetByTestId("setup-permissions")).ToBeVisibleAsync();

        await GrantAtMicrosoftAsync(page, page.GetByTestId("grant-setup"), "Team.Create", "setup-temporary-consent");
        await page.WaitForURLAsync($"{Url}/setup?consent=setup-granted", new() { Timeout = 15_000 });
        await Browser.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByTestId("setup-notice")).ToContainTextAsync("Temporary setup permissions granted");

        await page.GetByTestId("start-install").ClickAsync();
        await Assertions.Expect(page.GetByTestId("install-progress")).ToBeVisibleAsync();
        await Browser.ScreenshotAsync(page, "setup-install-progress");
        await Assertions.Expect(page.GetByTestId("done-team")).ToHaveTextAsync("Incidents", new() { Timeout = 60_000 });
        await Assertions.Expect(watcher.GetByTestId("done-team")).ToHaveTextAsync("Incidents", new() { Timeout = 10_000 });
        await Assertions.Expect(page.GetByTestId("open-in-teams")).ToHaveAttributeAsync("href", new Regex("^https://teams\\.microsoft\\.com/l/team/"));
        await Browser.ScreenshotAsync(page, "setup-done");

        // Microsoft 365 (the Sandbox) has exactly one Incidents team, with our app and our tab in General.
        var incidents = (await SandboxTeamsAsync(page)).Where(t => t.GetProperty("displayName").GetString() == "Incidents").ToList();
        var team = Assert.Single(incidents);
        Assert.Equal("ready", team.GetProperty("status").GetString());
        Assert.Contains(team.GetProperty("installedApps").EnumerateArray(), a => a.GetProperty("externalId").GetString() == OurTeamsAppId);
        var tab = Assert.Single(team.GetProperty("generalTabs").EnumerateArray());
        Assert.EndsWith("/teams/tab", tab.GetProperty("contentUrl").GetString(), StringComparison.Ordinal);

        // The temporary permissions: still there, then removed by the admin in Entra, and we notice.
        await page.GetByTestId("check-temporary-permissions").ClickAsync();
        await Assertions.Expect(page.GetByTestId("temporary-permissions-remaining")).ToContainTextAsync("Team.Create");
        var removed = await page.APIRequest.DeleteAsync($"{SandboxOrigin}/sandbox/api/tenants/{Contoso}/grants/{SetupAppClientId}");
        Assert.Equal(204, removed.Status);
        await page.GetByTestId("check-temporary-permissions").ClickAsync();
        await Assertions.Expect(page.GetByTestId("temporary-permissions")).ToContainTextAsync("are removed");

        // Setup stays done after a reload.
        await page.GotoAsync($"{Url}/setup");
        await Browser.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByTestId("done-team")).ToHaveTextAsync("Incidents");
        await Assertions.Expect(page.GetByTestId("temporary-permissions")).ToContainTextAsync("are removed");
    }

    [Fact]
    public async Task The_manual_path_finds_the_app_an_admin_installed_by_hand()
    {
        var page = await SignInToSetupAsync("admin@contoso.example");
        await page.GetByTestId("confirm-details").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Choose Team" }).ClickAsync();
        await GrantAtMicrosoftAsync(page, page.GetByTestId("grant-global"), "User.ReadBasic.All", null);
        await page.WaitForURLAsync($"{Url}/setup?consent=granted", new() { Timeout = 30_000 });
        await Browser.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByTestId("global-granted")).ToBeAttachedAsync();

        await page.GetByTestId("install-choice").GetByRole(AriaRole.Tab, new() { Name = "By hand", Exact = true }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("manual-install-steps")).ToContainTextAsync("Manage team");
        await Assertions.Expect(page.GetByTestId("download-package")).ToBeVisibleAsync();
        await page.GetByTestId("check-installation").ClickAsync();
        await Assertions.Expect(page.GetByTestId("check-result")).ToContainTextAsync("Not found in any of your 2 team(s) yet", new() { Timeout = 15_000 });

        // In Teams: Engineering → Manage team → Apps → IncidentIo → Add.
        var added = await page.APIRequest.PostAsync($"{SandboxOrigin}/sandbox/api/tenants/{Contoso}/teams/{EngineeringTeamId}/installed-apps",
            new() { DataObject = new { externalId = OurTeamsAppId } });
        Assert.Equal(200, added.Status);

        await page.GetByTestId("check-installation").ClickAsync();
        await Assertions.Expect(page.GetByTestId("setup-done")).ToBeVisibleAsync(new() { Timeout = 15_000 });

        await page.GotoAsync($"{Url}/setup");
        await Browser.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByTestId("setup-done")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByLabel("Organisation name")).ToHaveValueAsync("Contoso");
    }

    [Fact]
    public async Task A_cancelled_temporary_consent_is_explained_in_the_second_step()
    {
        var page = await SignInToSetupAsync("admin@contoso.example");
        await page.GetByTestId("confirm-details").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Choose Basic" }).ClickAsync();
        await GrantAtMicrosoftAsync(page, page.GetByTestId("grant-global"), "User.ReadBasic.All", null);
        await page.WaitForURLAsync($"{Url}/setup?consent=granted", new() { Timeout = 30_000 });
        await Browser.WaitForCircuitAsync(page);

        await page.GetByTestId("grant-setup").ClickAsync();
        await ChooseAccountIfAskedAsync(page, "admin@contoso.example");
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync(new() { Timeout = 15_000 });

        await page.WaitForURLAsync($"{Url}/setup?consent=failed", new() { Timeout = 30_000 });
        await Browser.WaitForCircuitAsync(page);
        var panel = page.GetByTestId("setup-permissions");
        await Assertions.Expect(panel.GetByTestId("consent-failure")).ToContainTextAsync("You cancelled the permission request.");
        await Assertions.Expect(panel.GetByTestId("consent-ids")).ToContainTextAsync("AADSTS65004");
        await Assertions.Expect(page.GetByTestId("global-granted")).ToBeAttachedAsync();
        await Assertions.Expect(page.GetByTestId("start-install")).ToHaveCountAsync(0);
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

        await page.WaitForURLAsync($"{Url}/setup?consent=failed", new() { Timeout = 30_000 });
        await Browser.WaitForCircuitAsync(page);
        var failure = page.GetByTestId("consent-failure");
        await Assertions.Expect(failure).ToContainTextAsync("You cancelled the permission request.");
        await Assertions.Expect(page.GetByTestId("consent-ids")).ToContainTextAsync("AADSTS65004");
        await Assertions.Expect(page.GetByTestId("consent-ids")).ToContainTextAsync(new Regex("correlation id [0-9a-f-]{36}"));
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

        await page.WaitForURLAsync($"{Url}/setup?consent=failed", new() { Timeout = 30_000 });
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

    private async Task<List<JsonElement>> SandboxTeamsAsync(IPage page)
    {
        var response = await page.APIRequest.GetAsync($"{SandboxOrigin}/sandbox/api/tenants/{Contoso}/teams");
        Assert.Equal(200, response.Status);
        return [.. JsonDocument.Parse(await response.TextAsync()).RootElement.EnumerateArray()];
    }

    private async Task<IPage> SignInToSetupAsync(string email)
    {
        var page = await Browser.NewPageAsync();
        await page.GotoAsync($"{Url}/setup");
        await Browser.WaitForCircuitAsync(page);
        await page.GetByTestId("setup-sign-in").ClickAsync();
        try
        {
            await page.GetByLabel("Email").WaitForAsync(new() { Timeout = 10_000 });
        }
        catch (TimeoutException)
        {
            // A click that landed while the page was still wiring its buttons does nothing: once more.
            await page.GetByTestId("setup-sign-in").ClickAsync();
        }

        return await CompleteSignInAsync(page, email, "/setup");
    }
}
