using Microsoft.Playwright;

namespace IncidentIo.EndToEnd.Tests.Journeys;

/// <summary>
/// The support console in Chromium against the Portal and the Sandbox it hosts: our staff find a
/// customer's person who cannot get messages from the bot, check and retry, and learn why; a
/// customer's admin watches someone become reachable; the people of a team our app is added to
/// appear without signing in. Others exist in our database because they signed in, each in a
/// browser of their own.
/// </summary>
public sealed class SupportConsoleJourneyTests : PortalJourney
{
    private const string OurTeamsAppId = "8d3f2b6e-4c1a-4e57-9b0d-2f6a7c9e1d01";
    private static readonly LocatorAssertionsToHaveAttributeOptions WorkerTime = new() { Timeout = 30_000 };

    [Fact]
    public async Task Staff_find_a_person_blocked_by_policy_check_and_retry_and_copy_the_powershell()
    {
        await SetUpContosoAsAdminAsync();
        var blocked = await SignInAsync("blocked@contoso.example", "/support");
        // An ordinary member of Contoso: in our database now, and not allowed in the console.
        await Assertions.Expect(blocked.GetByTestId("support-not-allowed")).ToContainTextAsync("not allowed to use the support console");

        var page = await SignInAsync("staff@incidentio.example", "/support");
        await page.Context.GrantPermissionsAsync(["clipboard-read", "clipboard-write"], new() { Origin = Url });
        await Assertions.Expect(page.GetByTestId("staff-badge")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("pick-organization")).ToBeVisibleAsync();

        await page.GetByTestId("organization-picker").FillAsync("Conto");
        await page.GetByTestId("organization-choice").Filter(new() { HasText = "Contoso" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("organization-name")).ToHaveTextAsync("Contoso");
        await Assertions.Expect(page.GetByTestId("reachable-headline")).ToContainTextAsync("can get messages from our bot");

        await page.GetByTestId("support-search").FillAsync("blocked@");
        var link = page.GetByTestId("user-link");
        await Assertions.Expect(link).ToHaveCountAsync(1);
        await Assertions.Expect(link).ToHaveTextAsync("Blake Blocked");
        await Browser.ScreenshotAsync(page, "support-list-search");
        await link.ClickAsync();
        await Browser.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByTestId("user-upn")).ToHaveTextAsync("blocked@contoso.example");

        // Verify now asks Microsoft what is there; a policy only shows when we try to install.
        await page.GetByTestId("verify-now").ClickAsync();
        await Assertions.Expect(page.GetByTestId("action-result")).ToContainTextAsync("Checked with Microsoft: not installed", new() { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("user-state")).ToHaveAttributeAsync("data-state", "NotInstalled");

        await page.GetByTestId("retry-install").ClickAsync();
        await Assertions.Expect(page.GetByTestId("action-result")).ToContainTextAsync("Install queued");
        // The worker's answer arrives on its own: the page polls.
        await ExpectStateAsync(page, "BlockedByPolicy");
        await Assertions.Expect(page.GetByTestId("user-state")).ToHaveTextAsync("Blocked by policy");
        await Assertions.Expect(page.GetByTestId("state-explanation")).ToContainTextAsync("Permission policies");
        await Assertions.Expect(page.GetByTestId("policy-guide")).ToContainTextAsync("Allow IncidentIo in the app permission policy");
        await Assertions.Expect(page.GetByTestId("setup-policy-guide")).ToContainTextAsync("Setup policies");
        await Assertions.Expect(page.GetByTestId("history-row").First).ToContainTextAsync("403");
        await Browser.ScreenshotAsync(page, "support-user-blocked");

        await page.GetByTestId("copy-ps-check").ClickAsync();
        await Assertions.Expect(page.GetByTestId("copy-ps-check")).ToContainTextAsync("Copied");
        var copied = await page.EvaluateAsync<string>("() => navigator.clipboard.readText()");
        Assert.Equal(
            $"Get-MgUserTeamworkInstalledApp -UserId \"blocked@contoso.example\" -ExpandProperty teamsAppDefinition -Filter \"teamsApp/id eq '$catalogId'\"",
            copied);
        await page.GetByTestId("copy-ps-all").ClickAsync();
        await Assertions.Expect(page.GetByTestId("copy-ps-all")).ToContainTextAsync("Copied");
        var script = await page.EvaluateAsync<string>("() => navigator.clipboard.readText()");
        Assert.Contains("Connect-MgGraph -TenantId \"c0a7050c-0000-4000-8000-000000000000\" -Scopes \"TeamsAppInstallation.ReadWriteForUser\"", script, StringComparison.Ordinal);
        Assert.Contains("New-MgUserTeamworkInstalledApp -UserId \"blocked@contoso.example\"", script, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Someone_known_before_the_grant_gets_our_app_from_it_and_an_admin_sees_them_installed_without_reloading()
    {
        // Nina joins before the global permissions are granted; the grant installs our app for everyone known then.
        var admin = await SetUpContosoAsAdminAsync(beforeConsent: async () =>
        {
            var user = await SignInAsync("newcomer@contoso.example", "/support");
            await Assertions.Expect(user.GetByTestId("support-not-allowed")).ToBeVisibleAsync();
        });

        await admin.GotoAsync($"{Url}/support/users");
        await Browser.WaitForCircuitAsync(admin);
        await Assertions.Expect(admin.GetByTestId("organization-name")).ToHaveTextAsync("Contoso");
        Assert.Equal(0, await admin.GetByTestId("organization-picker").CountAsync());
        // Adele, who just set it up, can get messages from our bot at once.
        await Assertions.Expect(admin.GetByTestId("reachable-headline")).ToContainTextAsync("1 of 2 people", new() { Timeout = 30_000 });
        await admin.GetByTestId("support-search").FillAsync("newcomer@contoso");
        var link = admin.GetByTestId("user-link");
        await Assertions.Expect(link).ToHaveCountAsync(1);
        await Assertions.Expect(link).ToHaveTextAsync("Nina Newcomer");
        await link.ClickAsync();
        await Browser.WaitForCircuitAsync(admin);
        // She has never opened Teams: our app waits for her there.
        await ExpectStateAsync(admin, "NeverOpenedTeams");
        await Assertions.Expect(admin.GetByTestId("policy-guide")).ToHaveCountAsync(0);
        await admin.GetByTestId("retry-install").ClickAsync();
        await Assertions.Expect(admin.GetByTestId("action-result")).ToContainTextAsync("Install queued");

        // She opens Teams: Teams tells our bot, and the page shows it without reloading.
        var opened = await admin.APIRequest.PostAsync($"{SandboxOrigin}/sandbox/api/tenants/contoso.example/users/newcomer@contoso.example/open-teams");
        Assert.True(opened.Ok, await opened.TextAsync());
        await ExpectStateAsync(admin, "Installed");
        await Assertions.Expect(admin.GetByTestId("state-explanation")).ToContainTextAsync("the bot can message this person");
        await Browser.ScreenshotAsync(admin, "support-user-installed");

        // The list, opened again, counts them among the people the bot reaches.
        await admin.GetByTestId("back-to-list").ClickAsync();
        await Browser.WaitForCircuitAsync(admin);
        await Assertions.Expect(admin.GetByTestId("count-Installed")).ToHaveAttributeAsync("data-count", "2");
    }

    [Fact]
    public async Task Our_app_added_to_Engineering_lists_its_8_members_with_their_install_states_without_anyone_signing_in()
    {
        var admin = await SetUpContosoAsAdminAsync();
        await admin.GotoAsync($"{Url}/support/users");
        await Browser.WaitForCircuitAsync(admin);
        await Assertions.Expect(admin.GetByTestId("reachable-headline")).ToContainTextAsync("1 of 1 person", new() { Timeout = 30_000 });

        // In Teams: Engineering → Manage team → Apps → IncidentIo → Add. Teams tells our bot; nobody else signs in.
        var added = await admin.APIRequest.PostAsync($"{SandboxOrigin}/sandbox/api/tenants/contoso.example/teams/c0a7050c-0002-4000-8000-000000000001/installed-apps",
            new() { DataObject = new { externalId = OurTeamsAppId } });
        Assert.Equal(200, added.Status);

        // The open list follows by itself: Engineering's 8, each installed but Blake, whom a policy blocks;
        // the bot still reaches him, through Engineering (Teams lets a bot message members of its teams).
        await Assertions.Expect(admin.GetByTestId("user-link")).ToHaveCountAsync(8, new() { Timeout = 60_000 });
        await Assertions.Expect(admin.GetByTestId("reachable-headline")).ToContainTextAsync("8 of 8 people", new() { Timeout = 60_000 });
        // Once the installs are done, only Blake is reached through the team alone.
        await Assertions.Expect(admin.GetByTestId("reachable-through-team")).ToHaveAttributeAsync("data-count", "1", new() { Timeout = 60_000 });
        await Assertions.Expect(admin.GetByTestId("count-BlockedByPolicy")).ToHaveAttributeAsync("data-count", "1", new() { Timeout = 60_000 });
        foreach (var name in new[] { "Adele Admin", "Alex Wilber", "Uma User", "Megan Bowen", "Diego Siciliani", "Grady Archie", "Isaiah Langer", "Blake Blocked" })
        {
            await Assertions.Expect(admin.GetByTestId("user-link").Filter(new() { HasText = name })).ToHaveCountAsync(1);
        }

        await Browser.ScreenshotAsync(admin, "support-people-found-in-engineering");
        await admin.GetByTestId("support-search").FillAsync("blocked@");
        await Assertions.Expect(admin.GetByTestId("user-link")).ToHaveCountAsync(1);
        await Assertions.Expect(admin.GetByTestId("user-link")).ToHaveTextAsync("Blake Blocked");
        await Assertions.Expect(admin.GetByTestId("user-state")).ToHaveAttributeAsync("data-state", "BlockedByPolicy");
        await admin.GetByTestId("user-link").ClickAsync();
        await Browser.WaitForCircuitAsync(admin);
        await Assertions.Expect(admin.GetByTestId("user-state")).ToHaveTextAsync("Blocked by policy");
        await Assertions.Expect(admin.GetByTestId("team-route")).ToContainTextAsync("they are in the team \"Engineering\"");
        await Assertions.Expect(admin.GetByTestId("history-row").First).ToContainTextAsync("403");
    }

    [Fact]
    public async Task An_admin_of_another_organisation_cannot_open_contosos_people_or_list_by_changing_the_address()
    {
        var contosoAdmin = await SignInAsync("admin@contoso.example", "/support");
        await contosoAdmin.GetByTestId("user-link").Filter(new() { HasText = "Adele Admin" }).ClickAsync();
        await Browser.WaitForCircuitAsync(contosoAdmin);
        await Assertions.Expect(contosoAdmin.GetByTestId("user-upn")).ToHaveTextAsync("admin@contoso.example");
        var contosoPerson = contosoAdmin.Url;
        var contosoList = Url + await contosoAdmin.GetByTestId("back-to-list").GetAttributeAsync("href");

        // Another customer, Fabrikam, whose admin signs in and owns their own organisation.
        var tenant = await contosoAdmin.APIRequest.PostAsync($"{SandboxOrigin}/sandbox/api/tenants",
            new() { DataObject = new { displayName = "Fabrikam", domain = "fabrikam.example" } });
        Assert.True(tenant.Ok, await tenant.TextAsync());
        var fiona = await contosoAdmin.APIRequest.PostAsync($"{SandboxOrigin}/sandbox/api/tenants/fabrikam.example/users",
            new() { DataObject = new { userPrincipalName = "admin@fabrikam.example", displayName = "Fiona Fabrikam", isGlobalAdmin = true } });
        Assert.True(fiona.Ok, await fiona.TextAsync());
        var fabrikam = await SignInAsync("admin@fabrikam.example", "/support");
        await Assertions.Expect(fabrikam.GetByTestId("organization-name")).ToHaveTextAsync("Fabrikam");
        await Assertions.Expect(fabrikam.GetByTestId("user-link")).ToHaveTextAsync("Fiona Fabrikam");

        await fabrikam.GotoAsync(contosoPerson);
        await Browser.WaitForCircuitAsync(fabrikam);
        await Assertions.Expect(fabrikam.GetByTestId("support-user-not-found")).ToContainTextAsync("in your organisation, Fabrikam");
        await Assertions.Expect(fabrikam.Locator("body")).Not.ToContainTextAsync("admin@contoso.example");
        await Assertions.Expect(fabrikam.GetByTestId("verify-now")).ToHaveCountAsync(0);

        await fabrikam.GotoAsync(contosoList);
        await Browser.WaitForCircuitAsync(fabrikam);
        await Assertions.Expect(fabrikam.GetByTestId("support-not-allowed")).ToContainTextAsync("not allowed to see that: only your own organisation");
        await Assertions.Expect(fabrikam.Locator("body")).Not.ToContainTextAsync("Adele Admin");
    }

    /// <summary>Waits for the worker's answer to show; if it is another, says what the page explains (Microsoft's answer).</summary>
    [Fact]
    public async Task An_admin_asks_what_the_next_sweep_would_do_and_sees_the_answer_arrive()
    {
        var admin = await SetUpContosoAsAdminAsync();
        // In Teams: Engineering → Manage team → Apps → IncidentIo → Add.
        var added = await admin.APIRequest.PostAsync($"{SandboxOrigin}/sandbox/api/tenants/contoso.example/teams/c0a7050c-0002-4000-8000-000000000001/installed-apps",
            new() { DataObject = new { externalId = OurTeamsAppId } });
        Assert.Equal(200, added.Status);
        await admin.GotoAsync($"{Url}/support/users");
        await Browser.WaitForCircuitAsync(admin);
        await Assertions.Expect(admin.GetByTestId("sweep-none")).ToBeVisibleAsync();

        // The panel may be drawn again once the page has its organisation; a click on the element it
        // replaced is lost, so the click counts once the panel says the run was queued.
        for (var attempt = 1; ; attempt++)
        {
            await admin.GetByTestId("sweep-dry-run").ClickAsync();
            try
            {
                await Assertions.Expect(admin.GetByTestId("sweep-message")).ToBeVisibleAsync(new() { Timeout = 5_000 });
                break;
            }
            catch (PlaywrightException) when (attempt < 3)
            {
            }
        }

        var run = admin.GetByTestId("sweep-run").First;
        await Assertions.Expect(run).ToHaveAttributeAsync("data-outcome", "DryRun", new() { Timeout = 30_000 });
        await Assertions.Expect(run).ToContainTextAsync("user:admin@contoso.example");
        await Browser.ScreenshotAsync(admin, "support-sweep-dry-run");
    }

    private static async Task ExpectStateAsync(IPage page, string state)
    {
        try
        {
            await Assertions.Expect(page.GetByTestId("user-state")).ToHaveAttributeAsync("data-state", state, WorkerTime);
        }
        catch (PlaywrightException)
        {
            var shown = await page.GetByTestId("user-state").GetAttributeAsync("data-state");
            var explanation = await page.GetByTestId("state-explanation").InnerTextAsync();
            Assert.Fail($"Expected the person to become {state}, but they are {shown}: \"{explanation}\"");
        }
    }

    /// <summary>
    /// Contoso's admin signs in first (so they own the organisation), confirms it, picks a plan and
    /// grants the global permissions; <paramref name="beforeConsent"/> runs just before that grant.
    /// </summary>
    private async Task<IPage> SetUpContosoAsAdminAsync(Func<Task>? beforeConsent = null)
    {
        var page = await SignInAsync("admin@contoso.example", "/setup");
        if (beforeConsent is not null)
        {
            await beforeConsent();
        }

        await page.GetByTestId("confirm-details").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Choose Team" }).ClickAsync();
        await GrantAtMicrosoftAsync(page, page.GetByTestId("grant-global"), "User.ReadBasic.All", screenshot: null);
        await page.WaitForURLAsync($"{Url}/setup?consent=granted", new() { Timeout = 15_000 });
        await Browser.WaitForCircuitAsync(page);
        await Assertions.Expect(page.GetByTestId("global-granted")).ToBeAttachedAsync();
        return page;
    }
}
