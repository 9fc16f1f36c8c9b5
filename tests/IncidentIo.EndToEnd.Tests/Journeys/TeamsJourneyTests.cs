using Microsoft.Playwright;

namespace IncidentIo.EndToEnd.Tests.Journeys;

/// <summary>
/// What Teams users meet, in Chromium: the Sandbox's Teams view hosts our tab in the Incidents team
/// (teams-js, the SSO token, our Blazor tab in its iframe); a SEV1 declared there is announced by
/// our bot in every channel whose rule matches and nowhere else, and its lead gets a direct message.
/// </summary>
public sealed class TeamsJourneyTests : PortalJourney
{
    private const string Contoso = "contoso.example";
    private const string OurTeamsAppId = "8d3f2b6e-4c1a-4e57-9b0d-2f6a7c9e1d01";
    private const string OurBotId = "8d3f2b6e-4c1a-4e57-9b0d-2f6a7c9e1d02";
    private const string EngineeringTeamId = "c0a7050c-0002-4000-8000-000000000001";
    private const string OperationsTeamId = "c0a7050c-0002-4000-8000-000000000002";

    [Fact]
    public async Task A_sev1_declared_in_the_tab_is_announced_where_rules_match_and_its_lead_gets_a_direct_message()
    {
        var admin = await SetUpContosoThroughTheAutomaticInstallAsync();
        // Our app in two more teams, as a team owner adding it by hand: Teams tells our bot.
        foreach (var team in new[] { OperationsTeamId, EngineeringTeamId })
        {
            var added = await admin.APIRequest.PostAsync($"{SandboxOrigin}/sandbox/api/tenants/{Contoso}/teams/{team}/installed-apps",
                new() { DataObject = new { externalId = OurTeamsAppId } });
            Assert.True(added.Ok, await added.TextAsync());
        }

        await admin.GotoAsync($"{Url}/settings/announcements");
        await Browser.WaitForCircuitAsync(admin);
        await Assertions.Expect(admin.GetByTestId("bot-team")).ToHaveCountAsync(3, new() { Timeout = 30_000 });
        await AddRuleAsync(admin, "Major incidents", "Incidents", "SEV2", type: null);
        await AddRuleAsync(admin, "Operations hears everything", "Operations", "SEV4 (all)", type: null);
        await AddRuleAsync(admin, "Engineering: security only", "Engineering", "SEV4 (all)", type: "Security");
        // Setup's own rule (every incident → the Incidents team's General) plus these three.
        await Assertions.Expect(admin.GetByTestId("rule")).ToHaveCountAsync(4);
        await Assertions.Expect(admin.GetByTestId("rule-name").Filter(new() { HasText = "Every incident" })).ToBeVisibleAsync();
        await Browser.ScreenshotAsync(admin, "teams-announcement-rules");

        // In Teams (the Sandbox's view) as Adele: the Incidents team, General, our tab.
        var teams = await OpenTeamsAsync("admin@contoso.example");
        await OpenChannelAsync(teams, "Incidents");
        await teams.Locator("a[data-testid=tab]", new() { HasText = "Incidents" }).ClickAsync();
        var tab = teams.FrameLocator("#tab-frame");
        await Assertions.Expect(tab.GetByTestId("tab-signed-in")).ToContainTextAsync("Adele Admin", new() { Timeout = 30_000 });

        await tab.GetByTestId("declare-name").FillAsync("Checkout <b>fails</b> for EU customers");
        await ChooseAsync(tab, tab.GetByTestId("declare-severity"), "SEV1");
        // The person declaring leads by default. Uma has never opened IncidentIo: the picker knows her from our bot's teams
        // (or, until their members are read, from the tenant's directory).
        await Assertions.Expect(tab.GetByTestId("declare-lead-chosen")).ToContainTextAsync("Adele Admin");
        await tab.GetByTestId("change-lead").ClickAsync();
        await tab.GetByTestId("declare-lead").PressSequentiallyAsync("Uma", new() { Delay = 50 });
        await tab.GetByTestId("lead-choice").Filter(new() { HasText = "user@contoso.example" }).ClickAsync();
        await Assertions.Expect(tab.GetByTestId("declare-lead-chosen")).ToContainTextAsync("Uma User");
        await tab.GetByTestId("declare-summary").FillAsync("Payments time out since 09:12.");
        await tab.GetByTestId("declare-submit").ClickAsync();
        await Assertions.Expect(tab.GetByTestId("declared")).ToContainTextAsync("INC-1");
        await Assertions.Expect(tab.GetByTestId("active-incident")).ToContainTextAsync("INC-1");
        await Browser.ScreenshotAsync(teams, "teams-tab-declared");

        // The card in every channel whose rule matches, and not in the one whose rule does not.
        await OpenChannelUntilPostedAsync(teams, "Incidents", "INC-1");
        await Assertions.Expect(teams.Locator("#posts article.post")).ToHaveCountAsync(1);
        await Assertions.Expect(teams.Locator("#posts article.post .adaptive-card")).ToContainTextAsync("Checkout <b>fails</b> for EU customers");
        await Browser.ScreenshotAsync(teams, "teams-announcement-card");
        await OpenChannelUntilPostedAsync(teams, "Operations", "INC-1");
        await Assertions.Expect(teams.Locator("#posts article.post")).ToHaveCountAsync(1);
        await OpenChannelAsync(teams, "Engineering");
        await Assertions.Expect(teams.Locator("#posts article.post")).ToHaveCountAsync(0);

        // Uma's direct message from our bot.
        var umaTeams = await OpenTeamsAsync("user@contoso.example");
        // The view is a page Teams would update live; here it is opened again until the message is there.
        await UntilAsync(async () =>
        {
            await umaTeams.GotoAsync($"{SandboxOrigin}/sandbox/teams/chats/{OurBotId}");
            return (await umaTeams.Locator("#messages").TextContentAsync() ?? "").Contains("INC-1", StringComparison.Ordinal);
        });
        await Browser.ScreenshotAsync(umaTeams, "teams-lead-direct-message");
    }

    [Fact]
    public async Task Declaring_from_the_bot_in_a_channel_makes_one_incident_announced_by_the_rules_however_often_the_card_is_submitted()
    {
        var admin = await SetUpContosoThroughTheAutomaticInstallAsync();
        var added = await admin.APIRequest.PostAsync($"{SandboxOrigin}/sandbox/api/tenants/{Contoso}/teams/{OperationsTeamId}/installed-apps",
            new() { DataObject = new { externalId = OurTeamsAppId } });
        Assert.True(added.Ok, await added.TextAsync());
        await admin.GotoAsync($"{Url}/settings/announcements");
        await Browser.WaitForCircuitAsync(admin);
        await Assertions.Expect(admin.GetByTestId("bot-team").Filter(new() { HasText = "Operations" })).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        await AddRuleAsync(admin, "Operations hears everything", "Operations", "SEV4 (all)", type: null);

        // In Teams as Adele: "@IncidentIo declare Checkout is down" in Operations' General channel.
        var teams = await OpenTeamsAsync("admin@contoso.example");
        await OpenChannelAsync(teams, "Operations");
        await teams.Locator("#channel-composer #message").FillAsync("declare Checkout is down");
        await teams.Locator("#channel-composer button[type=submit]").ClickAsync();
        await Assertions.Expect(teams.Locator("#posts article.own")).ToContainTextAsync("@IncidentIo declare Checkout is down");

        // The bot answers in the thread with the form, the name filled in.
        var form = teams.Locator("#posts form.adaptive-card");
        await UntilAsync(async () =>
        {
            await OpenChannelAsync(teams, "Operations");
            return await form.CountAsync() > 0;
        });
        await Assertions.Expect(form.Locator("#input-name")).ToHaveValueAsync("Checkout is down");
        await form.Locator("#input-severity").SelectOptionAsync(new SelectOptionValue { Label = "SEV1" });
        await form.Locator("#input-summary").FillAsync("Payments time out since 09:12.");
        await Browser.ScreenshotAsync(teams, "teams-bot-declare-form");
        var submit = await teams.RunAndWaitForRequestAsync(
            () => form.Locator("button.execute", new() { HasText = "Declare" }).ClickAsync(),
            request => request.Method == "POST" && request.Url.Contains("/execute", StringComparison.Ordinal));

        // The result replaces the form for Adele.
        await Assertions.Expect(teams.Locator("#posts .adaptive-card", new() { HasText = "INC-1 declared" })).ToBeVisibleAsync(new() { Timeout = 15_000 });
        await Assertions.Expect(teams.Locator("#posts form.adaptive-card")).ToHaveCountAsync(0);
        await Browser.ScreenshotAsync(teams, "teams-bot-declared");

        // The same submit again, as a second click or Teams retrying the invoke: still INC-1, nothing new.
        var repeated = await teams.APIRequest.PostAsync(submit.Url, new()
        {
            Headers = new Dictionary<string, string> { ["Content-Type"] = "application/x-www-form-urlencoded" },
            DataString = submit.PostData,
        });
        Assert.True(repeated.Ok, $"{repeated.Status}");
        Assert.DoesNotContain("INC-2", await repeated.TextAsync(), StringComparison.Ordinal);

        // Announced by the rule for Operations, once.
        await OpenChannelUntilPostedAsync(teams, "Operations", "SEV1 incident declared");
        await Assertions.Expect(teams.Locator("#posts article.post", new() { HasText = "SEV1 incident declared" })).ToHaveCountAsync(1);
        await Assertions.Expect(teams.Locator("#posts")).Not.ToContainTextAsync("INC-2");

        // Exactly one incident in IncidentIo.
        await admin.GotoAsync($"{Url}/incidents");
        await Browser.WaitForCircuitAsync(admin);
        await Assertions.Expect(admin.GetByTestId("incident-link")).ToHaveCountAsync(1);
        await Assertions.Expect(admin.GetByTestId("incident-link")).ToContainTextAsync("INC-1 · Checkout is down");
    }

    [Fact]
    public async Task Opened_outside_teams_the_tab_sends_people_to_the_portal()
    {
        var page = await Browser.NewPageAsync();
        await page.GotoAsync($"{Url}/teams/tab");

        await page.WaitForURLAsync(new System.Text.RegularExpressions.Regex("/incidents|/signin|/authorize|oauth2"), new() { Timeout = 30_000 });
    }

    /// <summary>The admin's dialog on /settings/announcements: the General channel of <paramref name="team"/>, on declare.</summary>
    private static async Task AddRuleAsync(IPage page, string name, string team, string severity, string? type)
    {
        await page.GetByTestId("add-rule").ClickAsync();
        await page.GetByTestId("rule-name-field").FillAsync(name);
        await ChooseAsync(page, page.GetByTestId("rule-team"), team);
        // Teams lists the team's channels to our bot; General is the one to start from.
        await ChooseAsync(page, page.GetByTestId("rule-channel"), "General");
        await ChooseAsync(page, page.GetByTestId("rule-severity"), severity);
        if (type is not null)
        {
            await page.GetByLabel(type, new() { Exact = true }).CheckAsync();
        }

        await page.GetByTestId("rule-save").ClickAsync();
        await Assertions.Expect(page.GetByTestId("rule-name").Filter(new() { HasText = name })).ToBeVisibleAsync();
    }

    /// <summary>
    /// Opens a MudBlazor select and picks the option showing <paramref name="text"/>; opens it again
    /// when the select was re-rendered under the click (the channel list follows the chosen team).
    /// </summary>
    private static async Task ChooseAsync(IPage page, ILocator select, string text)
    {
        var option = page.GetByRole(AriaRole.Option, new() { Name = text, Exact = true });
        for (var attempt = 1; ; attempt++)
        {
            await select.ClickAsync();
            try
            {
                await option.ClickAsync(new() { Timeout = 5_000 });
                return;
            }
            catch (TimeoutException) when (attempt < 4)
            {
                await page.Keyboard.PressAsync("Escape");
            }
        }
    }

    private static async Task ChooseAsync(IFrameLocator frame, ILocator select, string text)
    {
        await select.ClickAsync();
        await frame.GetByRole(AriaRole.Option, new() { Name = text, Exact = true }).ClickAsync();
    }

    private async Task<IPage> OpenTeamsAsync(string email)
    {
        var page = await Browser.NewPageAsync();
        // Offline here: teams-js's download of Microsoft's host list fails at once, as on a closed network.
        await page.Context.RouteAsync("https://res.cdn.office.net/**", route => route.AbortAsync());
        await page.GotoAsync($"{SandboxOrigin}/sandbox/teams?as={Uri.EscapeDataString(email)}");
        await Assertions.Expect(page.Locator("nav#rail")).ToBeVisibleAsync();
        return page;
    }

    private static async Task OpenChannelAsync(IPage page, string team)
    {
        await page.Locator("nav#rail section.team", new() { HasText = team }).Locator("a.channel").First.ClickAsync();
        await Assertions.Expect(page.Locator("#channel-title")).ToContainTextAsync(team);
    }

    /// <summary>Opens a team's General channel again until a post mentioning <paramref name="text"/> is there (the worker posts it).</summary>
    private static Task OpenChannelUntilPostedAsync(IPage page, string team, string text) => UntilAsync(async () =>
    {
        await OpenChannelAsync(page, team);
        return await page.Locator("#posts article.post", new() { HasText = text }).CountAsync() > 0;
    });

    private static async Task UntilAsync(Func<Task<bool>> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await done())
        {
            Assert.True(DateTime.UtcNow < deadline, "What the worker should have posted did not appear within 60 s.");
            await Task.Delay(500);
        }
    }

    /// <summary>Adele sets Contoso up to the end: details, plan, both consents, the automatic install to an Incidents team with our tab.</summary>
    private async Task<IPage> SetUpContosoThroughTheAutomaticInstallAsync()
    {
        var page = await SignInAsync("admin@contoso.example", "/setup");
        await page.GetByTestId("confirm-details").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Choose Pro" }).ClickAsync();
        await GrantAtMicrosoftAsync(page, page.GetByTestId("grant-global"), "User.ReadBasic.All", screenshot: null);
        await page.WaitForURLAsync($"{Url}/setup?consent=granted", new() { Timeout = 15_000 });
        await Browser.WaitForCircuitAsync(page);
        await GrantAtMicrosoftAsync(page, page.GetByTestId("grant-setup"), "Team.Create", screenshot: null);
        await page.WaitForURLAsync($"{Url}/setup?consent=setup-granted", new() { Timeout = 15_000 });
        await Browser.WaitForCircuitAsync(page);
        await page.GetByTestId("start-install").ClickAsync();
        await Assertions.Expect(page.GetByTestId("done-team")).ToHaveTextAsync("Incidents", new() { Timeout = 60_000 });
        return page;
    }
}
