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

    protected Browser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        (portal, Url, SandboxOrigin) = await PortalProcess.StartAsync(new Dictionary<string, string?> { ["DataFolder"] = dataFolder });
        Browser = await Browser.LaunchAsync();
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

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        await portal.DisposeAsync();
        Directory.Delete(dataFolder, recursive: true);
    }
}
