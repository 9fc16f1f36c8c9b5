using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

namespace IncidentIo.EndToEnd.Tests;

/// <summary>
/// Reads another .NET process's managed heap through its diagnostics port (EventPipe), the way
/// dotnet-gcdump does: asking the runtime for a full blocking collection and reading the bytes
/// that survived it from the runtime's own GC statistics. Nothing is added to the product for this.
/// </summary>
public static class ManagedHeap
{
    private const string RuntimeProvider = "Microsoft-Windows-DotNETRuntime";
    private const long GcKeyword = 0x1;

    // Enabling this keyword makes the runtime run a full blocking collection at once (an "induced" GC).
    private const long GcHeapCollectKeyword = 0x800000;

    /// <summary>
    /// Bytes live on the managed heap (all generations, large and pinned object heaps) after a full
    /// collection. Counted as what the collection kept, not the heap's size, so free space left by a
    /// collection that chose not to compact is not counted. Collects twice: objects freed by
    /// finalizers after the first are gone by the second.
    /// </summary>
    public static async Task<long> LiveBytesAfterFullCollectionAsync(int processId)
    {
        await FullCollectionAsync(processId);
        return await FullCollectionAsync(processId);
    }

    private static async Task<long> FullCollectionAsync(int processId)
    {
        var client = new DiagnosticsClient(processId);
        var provider = new EventPipeProvider(RuntimeProvider, EventLevel.Informational, GcKeyword | GcHeapCollectKeyword);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var session = await client.StartEventPipeSessionAsync([provider], requestRundown: false, circularBufferMB: 64, timeout.Token);
        var survived = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var source = new EventPipeEventSource(session.EventStream);
        var inducedFull = false;
        source.Clr.GCStart += e => inducedFull = e.Depth == 2 && e.Reason == GCReason.Induced;
        source.Clr.GCHeapStats += e =>
        {
            if (inducedFull)
            {
                survived.TrySetResult(e.TotalPromotedSize0 + e.TotalPromotedSize1 + e.TotalPromotedSize2 + e.TotalPromotedSize3 + e.TotalPromotedSize4);
            }
        };
        var reading = Task.Run(source.Process);
        try
        {
            return await survived.Task.WaitAsync(timeout.Token);
        }
        finally
        {
            await session.StopAsync(CancellationToken.None);
            await reading;
        }
    }
}
