using System.Globalization;
using System.Text;
using IncidentIo.EndToEnd.Tests.Circuits;
using IncidentIo.Testing;
using Microsoft.Playwright;

namespace IncidentIo.EndToEnd.Tests.Journeys;

/// <summary>
/// What one idle Blazor circuit costs the Portal: N browser tabs on a page, each interactive, and
/// the Portal's live managed heap after a full collection with none and with N circuits open,
/// read from outside the Portal process (<see cref="ManagedHeap"/>) so the test runner, Playwright's
/// client and Chromium are not in the figure. The in-process Sandbox and job server are, equally
/// at 0 and at N, so they cancel out. Divided by the circuits the Portal reports open, not by the
/// tabs opened. The shell alone (the layout on a page of two lines) is measured too: the floor
/// under every page's figure.
/// </summary>
[Trait("Category", "Benchmark")]
public sealed class IdleCircuitBenchmark : PortalJourney
{
    private const double BoundKilobytes = 300;

    private readonly PortalCircuitCount circuits = new();

    protected override Task<(ProductProcess Process, string Url, string SandboxOrigin)> StartPortalAsync() =>
        PortalProcess.StartAsync(PortalCircuitCount.PortalSettings(DataFolder));

    [Fact]
    public async Task An_idle_circuit_on_the_support_list_a_person_and_setup_costs_the_portal_little_memory()
    {
        var size = BenchmarkScale.Pick(5, 40, "BENCH_CIRCUITS");
        var admin = await SignInAsync("admin@contoso.example", "/setup");
        await admin.GetByTestId("confirm-details").ClickAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = "Choose Team" }).ClickAsync();
        await GrantAtMicrosoftAsync(admin, admin.GetByTestId("grant-global"), "User.ReadBasic.All", screenshot: null);
        await admin.WaitForURLAsync($"{Url}/setup?consent=granted", new() { Timeout = 15_000 });
        await Browser.WaitForCircuitAsync(admin);
        await admin.GotoAsync($"{Url}/support/users");
        await Browser.WaitForCircuitAsync(admin);
        var person = await admin.GetByTestId("user-link").First.GetAttributeAsync("href");
        Assert.NotNull(person);
        var tabs = admin.Context;
        await CloseAsync([admin]);

        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"Idle circuits, {size} per page, live managed heap after a full collection");
        // The layout and the circuit alone, on a page of two lines: what every other page costs at least.
        await MeasureAsync(tabs, "/not-found", "not-found", "idle circuit, the shell alone", size, report);
        await MeasureAsync(tabs, "/support/users", "support-users", "idle circuit, support list", size, report);
        await MeasureAsync(tabs, person, "user-upn", "idle circuit, a person", size, report);
        await MeasureAsync(tabs, "/setup", "global-granted", "idle circuit, setup", size, report);
        Measurements.Record("idle-circuits", report.ToString());
    }

    private async Task MeasureAsync(IBrowserContext tabs, string path, string shown, string figure, int size, StringBuilder report)
    {
        // One tab first and gone again: what the first visit loads once (types, caches) is not a circuit's cost.
        await CloseAsync([await OpenAsync(tabs, path, shown)]);
        await WaitForOpenCircuitsAsync(0);
        var before = await ManagedHeap.LiveBytesAfterFullCollectionAsync(PortalProcessId);
        await HeapSnapshot.TakeIfAskedAsync(PortalProcessId, figure + ", none");

        var pages = new List<IPage>();
        for (var i = 0; i < size; i++)
        {
            pages.Add(await OpenAsync(tabs, path, shown));
        }

        var open = await WaitForOpenCircuitsAsync(size);
        var after = await ManagedHeap.LiveBytesAfterFullCollectionAsync(PortalProcessId);
        await HeapSnapshot.TakeIfAskedAsync(PortalProcessId, figure);
        Assert.Equal(size, await OpenCircuitsAsync());
        await CloseAsync(pages);
        await WaitForOpenCircuitsAsync(0);
        // With the circuits gone again: how far the rest of the Portal (jobs, the Sandbox) drifted meanwhile.
        var afterwards = await ManagedHeap.LiveBytesAfterFullCollectionAsync(PortalProcessId);

        var perCircuit = (after - before) / 1024.0 / open;
        Measurements.Figure(figure, Math.Round(perCircuit, 1), "KB", BoundKilobytes, size: $"{open} circuits");
        report.AppendLine(CultureInfo.InvariantCulture,
            $"{figure}: {before / 1024} KB with none, {after / 1024} KB with {open}, {afterwards / 1024} KB with none again: {perCircuit:0.0} KB per circuit");
        Assert.True(after > before, $"{open} open circuits on {path} should hold some memory: {before} bytes before, {after} with them.");
    }

    private async Task<IPage> OpenAsync(IBrowserContext tabs, string path, string shown)
    {
        var page = await tabs.NewPageAsync();
        await page.GotoAsync($"{Url}{path}");
        await Browser.WaitForCircuitAsync(page);
        await page.GetByTestId(shown).First.WaitForAsync(new() { State = WaitForSelectorState.Attached, Timeout = 30_000 });
        return page;
    }

    /// <summary>Leaving the page makes Blazor tell the server the circuit is done (its unload beacon).</summary>
    private static async Task CloseAsync(IEnumerable<IPage> pages)
    {
        foreach (var page in pages)
        {
            await page.GotoAsync("about:blank");
            await page.CloseAsync();
        }
    }

    private async Task<int> WaitForOpenCircuitsAsync(int expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        int open;
        while ((open = await OpenCircuitsAsync()) != expected)
        {
            Assert.True(DateTime.UtcNow < deadline, $"The Portal holds {open} circuits, not the {expected} expected.");
            await Task.Delay(250);
        }

        return open;
    }

    private async Task<int> OpenCircuitsAsync() => (await circuits.ReadAsync(Url)).Open;

    public override async Task DisposeAsync()
    {
        circuits.Dispose();
        await base.DisposeAsync();
    }
}
