namespace IncidentIo.EndToEnd.Tests.Circuits;

/// <summary>A choice in the state filter, timed until the list showed it, and what it showed.</summary>
public sealed record FilterClick(string State, TimeSpan Elapsed, int Rows, int BatchesUntilShown);

/// <summary>
/// The support list (/support/users, SupportUsersPage and SupportUsersTable) in one circuit without
/// a browser. From the render batches it learns the state filter (the <c>select</c> with
/// <c>data-testid="filter-state"</c>: its <c>onchange</c> handler and the component that rendered
/// it) and the counts per state on the chips (<c>data-testid="count-{state}"</c>, <c>data-count</c>);
/// it is open once both and the list's first rows (or its "nobody matches" line) were drawn.
/// </summary>
public sealed class SupportListCircuit : IAsyncDisposable
{
    public const string Path = "/support/users";

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    // The support list's rows and their state chips: a link and a span.
    private static readonly string[] TaggedElements = ["a", "span"];

    private readonly TaskCompletionSource listShown = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, int> counts = new(StringComparer.Ordinal);
    private readonly Lock gate = new();
    private BlazorCircuitClient client = null!;
    private (int ComponentId, long HandlerId)? stateFilter;
    private bool rowsDrawn;
    private bool stateFilterDisposed;

    private SupportListCircuit()
    {
    }

    public BlazorCircuitClient Client => client;

    /// <summary>The state the filter shows now; "" for any state, as the page opens.</summary>
    public string ShownState { get; private set; } = "";

    public IReadOnlyDictionary<string, int> CountsByState
    {
        get
        {
            lock (gate)
            {
                return new Dictionary<string, int>(counts);
            }
        }
    }

    public static async Task<SupportListCircuit> OpenAsync(PortalSession session, CancellationToken cancellationToken)
    {
        var circuit = new SupportListCircuit();
        circuit.client = await BlazorCircuitClient.StartAsync(session, Path, circuit.Observe, cancellationToken);
        try
        {
            await circuit.listShown.Task.WaitAsync(Patience, cancellationToken);
            return circuit;
        }
        catch (TimeoutException)
        {
            var problems = circuit.client.Problems();
            await circuit.DisposeAsync();
            throw new TimeoutException($"The support list did not show its filter and rows within {Patience.TotalSeconds} s. {problems}");
        }
    }

    /// <summary>
    /// Chooses <paramref name="state"/> in the state filter, as a person picking it in the browser
    /// does, and times it until the list shows it: the rows of that state (each row's state chip
    /// says it) or, for a state nobody is in, the "nobody matches" line. Throws if what arrives is
    /// not that list, so no time is counted for a click that did not filter.
    /// </summary>
    public async Task<FilterClick> ChooseStateAsync(string state, CancellationToken cancellationToken)
    {
        var (componentId, handlerId) = StateFilter();
        var expected = CountsByState.GetValueOrDefault(state);
        var shown = await client.DispatchAsync(handlerId, "change", componentId, state, new { value = state },
            batch => expected == 0 ? ShowsNobody(batch) : Added(batch, "user-state").Any(), cancellationToken);

        var rows = Added(shown.Shown, "user-state").Select(row => row["data-state"]).ToList();
        if (expected == 0 ? rows.Count != 0 : rows.Count == 0 || rows.Any(s => s != state))
        {
            throw new InvalidOperationException(
                $"Choosing {state} ({expected} people) showed rows in states [{string.Join(", ", rows)}], not that state's list.");
        }

        ShownState = state;
        return new FilterClick(state, shown.Elapsed, rows.Count, shown.BatchesUntilShown);
    }

    private (int ComponentId, long HandlerId) StateFilter()
    {
        lock (gate)
        {
            if (stateFilter is not { HandlerId: > 0 } filter || stateFilterDisposed)
            {
                throw new InvalidOperationException("The state filter's change handler is not known (not drawn yet, or replaced by a later render).");
            }

            return filter;
        }
    }

    private void Observe(ReceivedRenderBatch batch)
    {
        lock (gate)
        {
            foreach (var select in batch.AddedElements("select").Where(s => s["data-testid"] == "filter-state"))
            {
                stateFilter = (select.ComponentId, select.EventHandlerId("onchange"));
                stateFilterDisposed = false;
            }

            // A later render that replaces the handler disposes its id; choosing then would reach nothing.
            if (stateFilter is { } filter && batch.DisposedEventHandlerIds.Contains(filter.HandlerId))
            {
                stateFilterDisposed = true;
            }

            foreach (var chip in batch.AddedElements("button"))
            {
                if (chip["data-testid"] is { } id && id.StartsWith("count-", StringComparison.Ordinal) && int.TryParse(chip["data-count"], out var count))
                {
                    counts[id["count-".Length..]] = count;
                }
            }

            rowsDrawn |= Added(batch, "user-link").Any() || ShowsNobody(batch);
            if (stateFilter is not null && counts.Count > 0 && rowsDrawn)
            {
                listShown.TrySetResult();
            }
        }
    }

    /// <summary>The list's "nobody matches" row: static, so it comes as one piece of markup.</summary>
    private static bool ShowsNobody(ReceivedRenderBatch batch) =>
        batch.AddedMarkup().Any(markup => markup.Contains("data-testid=\"no-users\"", StringComparison.Ordinal));

    /// <summary>Elements the batch adds with this <c>data-testid</c>, whatever their tag.</summary>
    private static IEnumerable<AddedElement> Added(ReceivedRenderBatch batch, string testId) =>
        TaggedElements.SelectMany(batch.AddedElements).Where(e => e["data-testid"] == testId);

    public ValueTask DisposeAsync() => client.DisposeAsync();
}
