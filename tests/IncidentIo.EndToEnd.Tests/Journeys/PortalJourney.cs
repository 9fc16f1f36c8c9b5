using IncidentIo.Testing;
using Microsoft.Playwright;

namespace IncidentIo.EndToEnd.Tests.Journeys;

/// <summary>
/// A Portal process in the embedded default (SQLite in its own data folder, the Sandbox it hosts)
/// and Chromium, for one test class's journeys; both are gone afterwards.
/// </summary>
public abstract class PortalJourney : IAsyncLifetime
{
    private readonly string dataFolder = Path.Combine(Path.GetTempPath(), $"incidentio-e2e-{Guid.NewGuid():N}");
    private ProductProcess portal = null!;

    protected string Url { get; private set; } = null!;

    /// <summary>The Sandbox the Portal hosts: its control API shows what the product did in Microsoft 365.</summary>
    protected string SandboxOrigin { get; private set; } = null!;

    protected string DataFolder => dataFolder;

    /// <summary>The Portal's process id.</summary>
    protected int PortalProcessId => portal.Id;

    /// <summary>What the Portal process has written so far (its log).</summary>
    protected string PortalOutput => portal.Output;

    protected Browser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        (portal, Url, SandboxOrigin) = await StartPortalAsync();
        Browser = await Browser.LaunchAsync();
    }

    /// <summary>The Portal under test: by default the built Portal in the embedded default, on free ports.</summary>
    protected virtual Task<(ProductProcess Process, string Url, string SandboxOrigin)> StartPortalAsync() =>
        PortalProcess.StartAsync(new Dictionary<string, string?> { ["DataFolder"] = dataFolder });

    /// <summary>
    /// Signs in as the Global Administrator and walks the guided setup with the automatic install
    /// until the Incidents team is done.
    /// </summary>
    protected async Task<IPage> CompleteAutomaticSetupAsync()
    {
        var page = await SignInAsync("admin@contoso.example", "/setup");
        await page.GetByLabel("Organisation name").FillAsync("Contoso Ltd");
        await page.GetByTestId("confirm-details").ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Choose Pro" }).ClickAsync();
        await GrantAtMicrosoftAsync(page, page.GetByTestId("grant-global"), "User.ReadBasic.All", null);
        await page.WaitForURLAsync($"{Url}/setup?consent=granted", new() { Timeout = 15_000 });
        await Browser.WaitForCircuitAsync(page);
        await GrantAtMicrosoftAsync(page, page.GetByTestId("grant-setup"), "Team.Create", null);
        await page.WaitForURLAsync($"{Url}/setup?consent=setup-granted", new() { Timeout = 15_000 });
        await Browser.WaitForCircuitAsync(page);
        await page.GetByTestId("start-install").ClickAsync();
        await Assertions.Expect(page.GetByTestId("done-team")).ToHaveTextAsync("Incidents", new() { Timeout = 90_000 });
        return page;
    }

    /// <summary>
    /// On Microsoft's (the Sandbox's) sign-in page: signs in as <paramref name="email"/>, accepts
    /// the consent screen if Microsoft shows one, and waits to land on <paramref name="path"/>.
    /// </summary>
    protected async Task<IPage> CompleteSignInAsync(IPage page, string email, string path)
    {
        await page.GetByLabel("Email").FillAsync(email);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await page.WaitForLoadStateAsync();
        var accept = page.GetByRole(AriaRole.Button, new() { Name = "Accept" });
        if (!page.Url.StartsWith(Url, StringComparison.Ordinal) && await accept.CountAsync() > 0)
        {
            await accept.ClickAsync();
        }

        await page.WaitForURLAsync($"{Url}{path}", new() { Timeout = 15_000 });
        await Browser.WaitForCircuitAsync(page);
        return page;
    }

    /// <summary>A browser of this person's own: signs in with Microsoft (the Sandbox) and lands on <paramref name="path"/>.</summary>
    protected async Task<IPage> SignInAsync(string email, string path)
    {
        var page = await Browser.NewPageAsync();
        await page.GotoAsync($"{Url}/signin?returnUrl={Uri.EscapeDataString(path)}");
        return await CompleteSignInAsync(page, email, path);
    }

    /// <summary>Clicks a grant button and accepts on Microsoft's admin consent page, checking it lists <paramref name="permission"/>.</summary>
    protected static async Task GrantAtMicrosoftAsync(IPage page, ILocator grant, string permission, string? screenshot)
    {
        await grant.ClickAsync();
        await ChooseAccountIfAskedAsync(page, "admin@contoso.example");
        var accept = page.GetByRole(AriaRole.Button, new() { Name = "Accept" });
        await accept.WaitForAsync(new() { Timeout = 15_000 });
        await Assertions.Expect(page.Locator("body")).ToContainTextAsync(permission);
        if (screenshot is not null)
        {
            await Browser.ScreenshotAsync(page, screenshot);
        }

        await accept.ClickAsync();
    }

    /// <summary>Microsoft asks which account to use when it cannot tell; pick (or type) the one signed in before.</summary>
    protected static async Task ChooseAccountIfAskedAsync(IPage page, string email)
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

    public virtual async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        await portal.DisposeAsync();
        if (Directory.Exists(dataFolder))
        {
            Directory.Delete(dataFolder, recursive: true);
        }
    }
}
