using System.Diagnostics;
using System.Globalization;
using System.Text;
using IncidentIo.EndToEnd.Tests.Circuits;
using IncidentIo.Testing;
using Microsoft.Playwright;

namespace IncidentIo.EndToEnd.Tests.Journeys;

/// <summary>
/// Issue #14's "1,000 concurrent circuits on the support list": memory, CPU and a filter click with
/// all of them open. A thousand Chromium tabs do not fit on a small machine, so after one real
/// sign-in in Chromium the circuits are opened by <see cref="BlazorCircuitClient"/>, which speaks
/// to the Portal's hub as blazor.web.js does with the browser's cookies: the Portal holds the same
/// circuits, renders the same batches and runs the same page code. Measured from outside the Portal
/// process: its live managed heap after a full collection with none and with N circuits open (per
/// circuit, as <see cref="IdleCircuitBenchmark"/> does with tabs), its CPU time over an idle window
/// with N open, and the time from a choice in the state filter to the render batch showing the
/// filtered list, on clicks spread over the open circuits.
/// Scale: <c>BENCH_CIRCUITS_MANY</c> (quick 20, full 1,000, the size the issue names).
/// </summary>
[Trait("Category", "Benchmark")]
[Collection(ThousandCircuitsRunAlone.Name)]
public sealed class ThousandCircuitsBenchmark : PortalJourney
{
    private const string Figure = "1,000 circuits on the support list";
    private const double HeapBoundKilobytes = 300;

    // The issue states no bound for the click; reported beside the 300 ms the console's live updates are held to.
    private const double ClickReferenceMs = 300;

    // Nor for idle CPU; reported beside a tenth of one core.
    private const double IdleCpuReferencePercent = 10;

    private const int Clicks = 50;

    // Circuits opened at once: enough to fill the Portal's two cores, few enough that each start is answered promptly.
    private const int OpeningAtOnce = 8;

    // At full size one safety interval of the live pages' change watcher (ChangeOptions, 30 s): every open list
    // re-reads its counts exactly once in the window, however the circuits' start times fall (over 10 s, runs
    // varied from 4 to 21 %). At the test run's size, 10 s: the figure is shown there, not judged.
    private static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(BenchmarkScale.Pick(10, 30));

    private readonly PortalCircuitCount circuits = new();

    private static int Size => BenchmarkScale.Pick(20, 1000, "BENCH_CIRCUITS_MANY");

    protected override Task<(ProductProcess Process, string Url, string SandboxOrigin)> StartPortalAsync() =>
        PortalProcess.StartAsync(new Dictionary<string, string?>(PortalCircuitCount.PortalSettings(DataFolder))
        {
            // No Circuits:* setting refuses connected circuits; a client whose socket drops under load is
            // kept like all the others rather than evicting the oldest past the default 100.
            ["Circuits:DisconnectedMaxRetained"] = Math.Max(Size, 100).ToString(CultureInfo.InvariantCulture),
        });

    [Fact]
    public async Task A_thousand_circuits_on_the_support_list_cost_little_memory_and_idle_CPU_and_a_filter_click_stays_quick()
    {
        var size = Size;
        using var session = await SignInAdminAsync();
        await WaitForCircuitsAsync(0, 0);
        // One circuit first and gone again: what the first visit loads once (types, caches) is not a circuit's cost.
        await (await SupportListCircuit.OpenAsync(session, CancellationToken.None)).DisposeAsync();
        await WaitForCircuitsAsync(0, 0);
        var idleCpuWithNone = await IdleCpuPercentAsync();
        var before = await ManagedHeap.LiveBytesAfterFullCollectionAsync(PortalProcessId);

        var circuits = new List<SupportListCircuit>();
        try
        {
            var opening = Stopwatch.StartNew();
            circuits.AddRange(await OpenAsync(session, size));
            var openedIn = opening.Elapsed;
            var (open, connected) = await WaitForCircuitsAsync(size, size);

            var idleCpu = await IdleCpuPercentAsync();
            var after = await ManagedHeap.LiveBytesAfterFullCollectionAsync(PortalProcessId);
            var clicks = await ClickAsync(circuits);
            Assert.Equal((size, size), await CircuitsAsync());
            var traffic = Traffic(circuits);

            await CloseAsync(circuits);
            circuits.Clear();
            await WaitForCircuitsAsync(0, 0);
            // With the circuits gone again: how far the rest of the Portal (jobs, the Sandbox) drifted meanwhile.
            var afterwards = await ManagedHeap.LiveBytesAfterFullCollectionAsync(PortalProcessId);

            var perCircuit = (after - before) / 1024.0 / open;
            var times = clicks.Select(c => c.Elapsed.TotalMilliseconds).ToList();
            var sizeText = $"{open} circuits";
            Measurements.Figure($"{Figure}: heap per circuit", Math.Round(perCircuit, 1), "KB", HeapBoundKilobytes, size: sizeText);
            Measurements.Figure($"{Figure}: filter click p95", Math.Round(Measurements.Percentile(times, 0.95), 1), "ms", ClickReferenceMs, BoundKind.Reported, $"{clicks.Count} clicks, {sizeText}");
            Measurements.Figure($"{Figure}: Portal CPU while idle", Math.Round(idleCpu, 2), "% of a core", IdleCpuReferencePercent, BoundKind.Reported, sizeText);
            Measurements.Record("thousand-circuits", Report(size, open, connected, openedIn, before, after, afterwards, (idleCpuWithNone, idleCpu), clicks, traffic));
            Assert.True(after > before, $"{open} open circuits should hold some memory: {before} bytes before, {after} with them.");
        }
        finally
        {
            await CloseAsync(circuits);
        }
    }

    /// <summary>Signs the admin in through setup's global consent (so the list has people), as <see cref="IdleCircuitBenchmark"/> does, and takes the browser's cookies.</summary>
    private async Task<PortalSession> SignInAdminAsync()
    {
        var admin = await SignInAsync("admin@contoso.example", "/setup");
        await admin.GetByTestId("confirm-details").ClickAsync();
        await admin.GetByRole(AriaRole.Button, new() { Name = "Choose Team" }).ClickAsync();
        await GrantAtMicrosoftAsync(admin, admin.GetByTestId("grant-global"), "User.ReadBasic.All", screenshot: null);
        await admin.WaitForURLAsync($"{Url}/setup?consent=granted", new() { Timeout = 15_000 });
        await Browser.WaitForCircuitAsync(admin);
        await admin.GotoAsync($"{Url}{SupportListCircuit.Path}");
        await Browser.WaitForCircuitAsync(admin);
        await admin.GetByTestId("user-link").First.WaitForAsync(new() { State = WaitForSelectorState.Attached });

        var cookies = await admin.Context.CookiesAsync([Url]);
        // Leaving the page makes Blazor tell the server the tab's circuit is done.
        await admin.GotoAsync("about:blank");
        await admin.CloseAsync();
        return new PortalSession(new Uri(Url), string.Join("; ", cookies.Select(c => $"{c.Name}={c.Value}")), DataFolder);
    }

    private static async Task<SupportListCircuit[]> OpenAsync(PortalSession session, int size)
    {
        using var turns = new SemaphoreSlim(OpeningAtOnce);
        var opened = new List<SupportListCircuit>();
        var opening = Enumerable.Range(0, size).Select(async _ =>
        {
            await turns.WaitAsync();
            try
            {
                var circuit = await SupportListCircuit.OpenAsync(session, CancellationToken.None);
                lock (opened)
                {
                    opened.Add(circuit);
                }
            }
            finally
            {
                turns.Release();
            }
        });
        try
        {
            await Task.WhenAll(opening);
            return [.. opened];
        }
        catch
        {
            await CloseAsync(opened);
            throw;
        }
    }

    /// <summary>
    /// CPU time the Portal process spent (user and system: on Linux, utime + stime of /proc/&lt;pid&gt;/stat)
    /// while its circuits sat open and nothing happened, as a share of one core.
    /// </summary>
    private async Task<double> IdleCpuPercentAsync()
    {
        using var portal = Process.GetProcessById(PortalProcessId);
        // Let the last circuits' first renders and reads finish.
        await Task.Delay(TimeSpan.FromSeconds(5));
        portal.Refresh();
        var cpuBefore = portal.TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        await Task.Delay(IdleWindow);
        portal.Refresh();
        var cpu = portal.TotalProcessorTime - cpuBefore;
        return cpu / Stopwatch.GetElapsedTime(started) * 100;
    }

    /// <summary>
    /// Clicks in pairs spread over the open circuits, one at a time: to the state nobody is in (the
    /// rows go, "nobody matches" comes) and back to the state most people are in (their rows come
    /// again), so every click changes the list it shows, and half of them draw rows.
    /// </summary>
    private static async Task<List<FilterClick>> ClickAsync(List<SupportListCircuit> circuits)
    {
        var clicks = new List<FilterClick>();
        for (var i = 0; i < Clicks; i++)
        {
            var circuit = circuits[i / 2 * circuits.Count / (Clicks / 2)];
            var counts = circuit.CountsByState;
            var most = counts.MaxBy(c => c.Value);
            var none = counts.FirstOrDefault(c => c.Value == 0);
            Assert.True(most.Value > 0 && none.Key is not null, $"The list needs people in some state and nobody in another: {string.Join(", ", counts)}");
            var state = circuit.ShownState == none.Key ? most.Key : none.Key;
            clicks.Add(await circuit.ChooseStateAsync(state, CancellationToken.None));
        }

        return clicks;
    }

    private static async Task CloseAsync(IEnumerable<SupportListCircuit> circuits)
    {
        using var turns = new SemaphoreSlim(OpeningAtOnce * 4);
        await Task.WhenAll(circuits.ToList().Select(async circuit =>
        {
            await turns.WaitAsync();
            try
            {
                await circuit.DisposeAsync();
            }
            finally
            {
                turns.Release();
            }
        }));
    }

    private static string Report(int size, int open, int connected, TimeSpan openedIn, long before, long after, long afterwards,
        (double None, double Open) idleCpu, List<FilterClick> clicks, string traffic)
    {
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"{size} circuits on the support list through the circuit client, opened {OpeningAtOnce} at a time in {openedIn.TotalSeconds:F0} s; load average {Measurements.LoadAverage()}");
        report.AppendLine(CultureInfo.InvariantCulture, $"  Portal: {open} circuits open, {connected} connected");
        report.AppendLine(CultureInfo.InvariantCulture,
            $"  live managed heap after a full collection: {before / 1024} KB with none, {after / 1024} KB with {open}, {afterwards / 1024} KB with none again: {(after - before) / 1024.0 / open:0.0} KB per circuit (bound {HeapBoundKilobytes:F0})");
        report.AppendLine(CultureInfo.InvariantCulture,
            $"  Portal CPU while idle, over {IdleWindow.TotalSeconds:F0} s: {idleCpu.None:F2} % of one core with none open (its jobs, the Sandbox), {idleCpu.Open:F2} % with {open}");
        report.AppendLine(Measurements.Timing("filter click until the list shows it", clicks.Select(c => c.Elapsed.TotalMilliseconds), TimeSpan.FromMilliseconds(ClickReferenceMs),
            $"{clicks.Count} clicks on {clicks.Count(c => c.Rows == 0)} empty and {clicks.Count(c => c.Rows > 0)} filled lists, {clicks.Average(c => c.BatchesUntilShown):F1} batches each"));
        report.AppendLine(traffic);
        return report.ToString();
    }

    /// <summary>What the circuits exchanged with the Portal besides the clicks: batches, and the calls into JavaScript answered.</summary>
    private static string Traffic(List<SupportListCircuit> circuits)
    {
        var calls = circuits.SelectMany(c => c.Client.JavaScriptCalls).GroupBy(c => c.Key).Select(g => $"{g.Key} x{g.Sum(c => c.Value)}");
        var problems = circuits.Where(c => c.Client.HasProblems).Select(c => c.Client.Problems()).Distinct().ToList();
        return $"  render batches received: {circuits.Sum(c => c.Client.RenderBatches)}; JavaScript calls answered: {string.Join(", ", calls)}"
            + (problems.Count == 0 ? "" : $"\n  problems: {string.Join(" | ", problems)}");
    }

    private async Task<(int Open, int Connected)> WaitForCircuitsAsync(int open, int connected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        (int Open, int Connected) now;
        while ((now = await CircuitsAsync()) != (open, connected))
        {
            Assert.True(DateTime.UtcNow < deadline, $"The Portal holds {now.Open} circuits ({now.Connected} connected), not the {open} ({connected}) expected.");
            await Task.Delay(250);
        }

        return now;
    }

    private Task<(int Open, int Connected)> CircuitsAsync() => circuits.ReadAsync(Url);

    public override async Task DisposeAsync()
    {
        circuits.Dispose();
        await base.DisposeAsync();
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ThousandCircuitsRunAlone
{
    /// <summary>
    /// Its idle CPU and click times are the Portal's own only when no other journey's Portal or
    /// Chromium shares the cores meanwhile: it runs after the others, alone.
    /// </summary>
    public const string Name = "Thousand circuits";
}
