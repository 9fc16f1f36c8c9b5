using System.Text.Json.Nodes;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.TeamsClient;
using IncidentIo.Sandbox.Tests.Infrastructure;
using Microsoft.Playwright;

namespace IncidentIo.Sandbox.Tests.TeamsClient;

/// <summary>
/// The real teams-js 2.58.0 in a channel tab, hosted by the Sandbox's Teams view in Chromium:
/// initialize, getContext, getAuthToken and the configurable tab's Save all go through the host
/// protocol. teams-js only trusts messages from origins on Microsoft's list, fetched from its CDN;
/// the browser gets the Sandbox's list there instead, as the product's browser tests should.
/// </summary>
public sealed class TeamsHostProtocolBrowserTests : IAsyncLifetime
{
    private static readonly Guid Contoso = DemoSeed.ContosoTenantId;
    private const float WaitMs = 30_000;

    private OwnSandbox _sandbox = null!;
    private TabTestSite _site = null!;
    private Chromium _chromium = null!;
    private readonly List<string> _console = [];

    public async Task InitializeAsync()
    {
        _sandbox = await OwnSandbox.StartAsync();
        _site = await TabTestSite.StartAsync();
        _chromium = await Chromium.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await _chromium.DisposeAsync();
        await _site.DisposeAsync();
        await _sandbox.DisposeAsync();
    }

    [Fact]
    public async Task A_tab_gets_its_context_and_an_sso_token_that_validates()
    {
        var clientId = Guid.NewGuid().ToString();
        _sandbox.Host.RegisterApp(new AppRegistration { ClientId = clientId, DisplayName = "IncidentIo" });
        var app = _sandbox.Host.PublishTeamsApp(Contoso, "manifest-1", "IncidentIo", "1.0.0", azureAdAppId: clientId);
        var team = _sandbox.State.Teams.FindTeam(Contoso, TeamsSeed.EngineeringTeamId)!;
        _sandbox.State.Teams.InstallInTeam(Contoso, team.Id, app.Id);
        var tab = _sandbox.State.Teams.AddTab(team.Id, team.GeneralChannelId, "Incidents", app.Id,
            new TabConfiguration("incidents", $"{_site.Origin}/tab.html", null, null));

        var result = await OpenTabAsync("user@contoso.example", TeamsClientUi.ChannelUrl(team.Id, team.GeneralChannelId, tab.Id));

        var context = result["context"]!;
        Assert.Equal(DemoSeed.UserId.ToString(), context["user"]!["id"]!.GetValue<string>());
        Assert.Equal("user@contoso.example", context["user"]!["userPrincipalName"]!.GetValue<string>());
        Assert.Equal("user@contoso.example", context["user"]!["loginHint"]!.GetValue<string>());
        Assert.Equal(Contoso.ToString(), context["user"]!["tenant"]!["id"]!.GetValue<string>());
        Assert.Equal(team.GeneralChannelId, context["team"]!["internalId"]!.GetValue<string>());
        Assert.Equal(team.Id.ToString(), context["team"]!["groupId"]!.GetValue<string>());
        Assert.Equal("Engineering", context["team"]!["displayName"]!.GetValue<string>());
        Assert.Equal(team.GeneralChannelId, context["channel"]!["id"]!.GetValue<string>());
        Assert.Equal("General", context["channel"]!["displayName"]!.GetValue<string>());
        Assert.Equal("incidents", context["page"]!["id"]!.GetValue<string>());
        Assert.Equal("content", context["page"]!["frameContext"]!.GetValue<string>());
        Assert.Equal("Teams", context["app"]!["host"]!["name"]!.GetValue<string>());
        Assert.Equal("web", context["app"]!["host"]!["clientType"]!.GetValue<string>());
        Assert.Equal("en-us", context["app"]!["locale"]!.GetValue<string>());
        Assert.Null(result["tokenError"]);
        var validation = await TabSsoTests.ValidateAsync(_sandbox, result["token"]!.GetValue<string>(), clientId);
        Assert.True(validation.IsValid, validation.Exception?.Message);
        Assert.Equal("access_as_user", validation.Claims["scp"]);
        Assert.Equal(DemoSeed.UserId.ToString(), validation.Claims["oid"]);
        Assert.DoesNotContain(_console, line => line.Contains("unsupported call", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_webApplicationInfo_getAuthToken_rejects_with_resourceDisabled()
    {
        var app = _sandbox.Host.PublishTeamsApp(Contoso, "manifest-1", "IncidentIo", "1.0.0");
        var team = _sandbox.State.Teams.FindTeam(Contoso, TeamsSeed.OperationsTeamId)!;
        _sandbox.State.Teams.InstallInTeam(Contoso, team.Id, app.Id);
        var tab = _sandbox.State.Teams.AddTab(team.Id, team.GeneralChannelId, "Incidents", app.Id, new TabConfiguration("e", $"{_site.Origin}/tab.html", null, null));

        var result = await OpenTabAsync("admin@contoso.example", TeamsClientUi.ChannelUrl(team.Id, team.GeneralChannelId, tab.Id));

        Assert.Null(result["token"]);
        Assert.Equal("resourceDisabled", result["tokenError"]!.GetValue<string>());
        Assert.Equal(DemoSeed.AdminId.ToString(), result["context"]!["user"]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Add_a_tab_runs_the_configuration_page_and_pins_what_it_saved()
    {
        var clientId = Guid.NewGuid().ToString();
        _sandbox.Host.RegisterApp(new AppRegistration { ClientId = clientId, DisplayName = "IncidentIo" });
        var app = _sandbox.Host.PublishTeamsApp(Contoso, "manifest-1", "IncidentIo", "1.0.0", azureAdAppId: clientId, configurationUrl: $"{_site.Origin}/config.html");
        var team = _sandbox.State.Teams.FindTeam(Contoso, TeamsSeed.EngineeringTeamId)!;
        _sandbox.State.Teams.InstallInTeam(Contoso, team.Id, app.Id);
        var page = await SignedInPageAsync("user@contoso.example");

        await page.GotoAsync(_sandbox.Origin + TeamsClientUi.ChannelUrl(team.Id, team.GeneralChannelId));
        await page.ClickAsync("#add-tab");
        await page.FrameLocator("#tab-frame").Locator("#state").Filter(new() { HasText = "ready in settings" }).WaitForAsync(new() { Timeout = WaitMs });
        await page.Locator("#save-tab:enabled").ClickAsync(new() { Timeout = WaitMs });
        var result = await page.FrameLocator("#tab-frame").Locator("#result, #error").TextContentAsync(new() { Timeout = WaitMs });

        var tab = Assert.Single(_sandbox.State.Teams.Tabs(team.Id, team.GeneralChannelId));
        Assert.Equal(("Incidents", $"incidents-{team.GeneralChannelId}", $"{_site.Origin}/tab.html", $"{_site.Origin}/incidents"),
            (tab.DisplayName, tab.Configuration.EntityId, tab.Configuration.ContentUrl, tab.Configuration.WebsiteUrl));
        Assert.Equal(app.Id, tab.TeamsAppId);
        Assert.EndsWith(TeamsClientUi.ChannelUrl(team.Id, team.GeneralChannelId, tab.Id), page.Url, StringComparison.Ordinal);
        Assert.Equal($"incidents-{team.GeneralChannelId}", JsonNode.Parse(result!)!["context"]!["page"]!["id"]!.GetValue<string>());
    }

    private async Task<JsonObject> OpenTabAsync(string upn, string channelPath)
    {
        var page = await SignedInPageAsync(upn);
        await page.GotoAsync(_sandbox.Origin + channelPath);
        var outcome = page.FrameLocator("#tab-frame").Locator("#result, #error");
        string? text;
        try
        {
            text = await outcome.TextContentAsync(new() { Timeout = WaitMs });
        }
        catch (TimeoutException)
        {
            throw new Xunit.Sdk.XunitException("The tab never finished. Browser console:\n" + string.Join('\n', _console));
        }

        Assert.True(await page.FrameLocator("#tab-frame").Locator("#result").CountAsync() == 1, $"The tab failed: {text}\n{string.Join('\n', _console)}");
        return JsonNode.Parse(text!)!.AsObject();
    }

    private async Task<IPage> SignedInPageAsync(string upn)
    {
        var context = await _chromium.NewContextAsync();
        // teams-js fetches Microsoft's list of host origins from its CDN; answer with the Sandbox's.
        var validDomains = await _sandbox.Http.GetStringAsync($"{TeamsClientUi.Root}/validDomains.json");
        await context.RouteAsync("https://res.cdn.office.net/teams-js/validDomains/json/validDomains.json", route => route.FulfillAsync(new()
        {
            Status = 200,
            ContentType = "application/json",
            Headers = new Dictionary<string, string> { ["Access-Control-Allow-Origin"] = "*" },
            Body = validDomains,
        }));
        var page = await context.NewPageAsync();
        page.Console += (_, message) =>
        {
            lock (_console)
            {
                _console.Add($"{message.Type}: {message.Text}");
            }
        };
        await page.GotoAsync($"{_sandbox.Origin}{TeamsClientUi.Root}?as={Uri.EscapeDataString(upn)}");
        await page.Locator("#rail").WaitForAsync();
        return page;
    }
}
