using Microsoft.Playwright;

namespace IncidentIo.EndToEnd.Tests;

/// <summary>Debian's Chromium driven by Playwright, headless, on this machine's closed network.</summary>
public sealed class Browser : IAsyncDisposable
{
    private readonly IPlaywright playwright;

    private Browser(IPlaywright playwright, IBrowser chromium)
    {
        this.playwright = playwright;
        Chromium = chromium;
    }

    public IBrowser Chromium { get; }

    public static async Task<Browser> LaunchAsync()
    {
        var executable = Environment.GetEnvironmentVariable("INCIDENTIO_CHROMIUM") ?? "/usr/bin/chromium";
        if (!File.Exists(executable))
        {
            throw new InvalidOperationException($"Chromium not found at {executable}: run tests/run.sh (it installs Debian's chromium) or set INCIDENTIO_CHROMIUM.");
        }

        var playwright = await Playwright.CreateAsync();
        var chromium = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            // No background traffic: nothing outside loopback is reachable here.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync"],
        });
        return new Browser(playwright, chromium);
    }

    /// <summary>A fresh page; the portal's certificate comes from its own local authority, not a public one.</summary>
    public async Task<IPage> NewPageAsync()
    {
        var context = await Chromium.NewContextAsync(new BrowserNewContextOptions { IgnoreHTTPSErrors = true });
        return await context.NewPageAsync();
    }

    /// <summary>Waits until Blazor's interactive circuit is connected, so clicks reach the server.</summary>
    public static Task WaitForCircuitAsync(IPage page) =>
        page.Locator("[data-circuit=interactive]").WaitForAsync(new LocatorWaitForOptions { Timeout = 30_000 });

    public static async Task ScreenshotAsync(IPage page, string name)
    {
        var folder = Path.Combine(IncidentIo.Testing.RepositoryPaths.Root, "artifacts", "screenshots");
        Directory.CreateDirectory(folder);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = true });
    }

    public async ValueTask DisposeAsync()
    {
        await Chromium.DisposeAsync();
        playwright.Dispose();
    }
}
