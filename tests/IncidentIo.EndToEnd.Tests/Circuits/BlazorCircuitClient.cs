using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IncidentIo.EndToEnd.Tests.Circuits;

/// <summary>A render batch and when it arrived (a <see cref="Stopwatch"/> timestamp), before it was read.</summary>
public sealed record TimedRenderBatch(long ArrivedAt, ReceivedRenderBatch Batch);

/// <summary>An event dispatched into a circuit and the render batch that showed its effect.</summary>
public sealed record DispatchedEvent(TimeSpan Elapsed, ReceivedRenderBatch Shown, int BatchesUntilShown);

/// <summary>
/// One Blazor Server circuit without a browser: it speaks to the Portal's hub (/_blazor) as
/// blazor.web.js in .NET 10 does, so the Portal holds the same circuit a browser tab would cost it.
/// Start: the page is prerendered (GET), its server component markers are read, the hub is joined
/// with the "blazorpack" protocol, <c>StartCircuit(baseUri, uri, "[]", state)</c> is invoked, and
/// once the server has attached its renderer's interop object (a <c>JS.BeginInvokeJS</c> of
/// <c>Blazor._internal.attachWebRendererInterop</c>) the markers are added as root components with
/// <c>UpdateRootComponents</c>. Afterwards every <c>JS.RenderBatch</c> is read and acknowledged
/// with <c>OnRenderCompleted(batchId, null)</c> (the server stops sending without), and every call
/// into JavaScript is answered as done, with no value, so components do not wait on a page that
/// is not there. Browser events go to the renderer's <c>DispatchEventAsync</c> through
/// <c>BeginInvokeDotNetFromJS</c>, with the descriptor and arguments blazor.web.js sends.
/// </summary>
public sealed class BlazorCircuitClient : IAsyncDisposable
{
    private const string AttachRendererInterop = "Blazor._internal.attachWebRendererInterop";

    /// <summary>JSCallResultType.JSObjectReference: the call is answered with a reference to a JavaScript object.</summary>
    private const int JSObjectReferenceResult = 1;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    // What a page answers to the calls whose caller needs a value (null would not read as one).
    private static readonly Dictionary<string, string> Answers = new(StringComparer.Ordinal)
    {
        // MudPopoverProvider counts the providers on the page, to warn about a second one; a page has one.
        ["mudpopoverHelper.countProviders"] = "1",
    };

    private readonly PortalSession session;
    private readonly Action<ReceivedRenderBatch> observe;
    private readonly BlazorPackProtocol protocol = new();
    private readonly HubConnection connection;
    private readonly TaskCompletionSource<long> rendererAttached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<string, int> javaScriptCalls = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> errors = new();
    private Channel<TimedRenderBatch>? watching;
    private string? circuitSecret;
    private long nextCallId;
    private long nextJSObjectId;
    private int renderBatches;

    private BlazorCircuitClient(PortalSession session, Action<ReceivedRenderBatch> observe)
    {
        this.session = session;
        this.observe = observe;
        var builder = new HubConnectionBuilder().WithUrl(new Uri(session.Portal, "_blazor"), options =>
        {
            // Straight to the WebSocket that blazor.web.js ends up on after negotiating, with the person's cookies.
            options.SkipNegotiation = true;
            options.Transports = HttpTransportType.WebSockets;
            options.WebSocketFactory = session.ConnectWebSocketAsync;
        });
        builder.Services.RemoveAll<IHubProtocol>();
        builder.Services.AddSingleton<IHubProtocol>(protocol);
        connection = builder.Build();
        // A shared machine opening a thousand circuits may answer a ping late; that is not a lost server.
        connection.ServerTimeout = TimeSpan.FromMinutes(5);
        connection.HandshakeTimeout = Patience;

        connection.On<long, byte[]>("JS.RenderBatch", OnRenderBatchAsync);
        connection.On<long, string, string, int, long, int>("JS.BeginInvokeJS", OnBeginInvokeJSAsync);
        connection.On<string, bool, string?>("JS.EndInvokeDotNet", OnEndInvokeDotNet);
        connection.On<string>("JS.Error", error => Fail($"The circuit failed: {error}"));
        // Where a root component goes on the page, and the server's confirmation that they were added: a page without a DOM has nothing to do.
        connection.On<int, string>("JS.AttachComponent", (_, _) => { });
        connection.On<long>("JS.EndUpdateRootComponents", _ => { });
        connection.Closed += closed =>
        {
            Fail($"The hub connection closed{(closed is null ? "" : $": {closed.Message}")}.");
            return Task.CompletedTask;
        };
    }

    /// <summary>Render batches received so far.</summary>
    public int RenderBatches => Volatile.Read(ref renderBatches);

    /// <summary>The calls into JavaScript the circuit made, by function, each answered as done.</summary>
    public IReadOnlyDictionary<string, int> JavaScriptCalls => javaScriptCalls;

    /// <summary>
    /// Opens <paramref name="path"/> as a browser tab would and waits until the root components are
    /// added. <paramref name="observe"/> sees every render batch, in order, from the first on.
    /// </summary>
    public static async Task<BlazorCircuitClient> StartAsync(PortalSession session, string path, Action<ReceivedRenderBatch> observe, CancellationToken cancellationToken)
    {
        var client = new BlazorCircuitClient(session, observe);
        try
        {
            await client.StartCoreAsync(path, cancellationToken);
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    private async Task StartCoreAsync(string path, CancellationToken cancellationToken)
    {
        var page = PrerenderedPage.Parse(await session.GetPageAsync(path, cancellationToken));
        if (page.ServerComponents.Count == 0)
        {
            throw new InvalidOperationException($"{path} has no interactive server components to start a circuit for.");
        }

        await connection.StartAsync(cancellationToken);
        var baseUri = new Uri(session.Portal, "/").ToString();
        var uri = new Uri(session.Portal, path).ToString();
        // The web root component manager starts the circuit with no components, then adds the page's.
        circuitSecret = await connection.InvokeAsync<string?>("StartCircuit", baseUri, uri, "[]", page.ServerState, cancellationToken);
        if (string.IsNullOrEmpty(circuitSecret))
        {
            throw new InvalidOperationException($"The Portal refused to start a circuit for {path}. {Problems()}");
        }

        await Until(rendererAttached.Task, "the renderer's interop object (attachWebRendererInterop)", cancellationToken);
        await connection.SendAsync("UpdateRootComponents", page.AddOperations(), page.ServerState, cancellationToken);
    }

    /// <summary>
    /// Dispatches browser event <paramref name="eventName"/> to handler <paramref name="eventHandlerId"/>
    /// as blazor.web.js does for a form field (its value in the field information, for the component
    /// that rendered it) and times it until a render batch <paramref name="shows"/> its effect.
    /// </summary>
    public async Task<DispatchedEvent> DispatchAsync(
        long eventHandlerId, string eventName, int componentId, string fieldValue, object eventArgs,
        Func<ReceivedRenderBatch, bool> shows, CancellationToken cancellationToken)
    {
        var interop = await rendererAttached.Task;
        var batches = Channel.CreateUnbounded<TimedRenderBatch>();
        if (Interlocked.CompareExchange(ref watching, batches, null) is not null)
        {
            throw new InvalidOperationException("One event at a time: the batch that shows it would be ambiguous otherwise.");
        }

        try
        {
            var callId = Interlocked.Increment(ref nextCallId).ToString(CultureInfo.InvariantCulture);
            var arguments = JsonSerializer.Serialize<object[]>(
            [
                new { eventHandlerId, eventName, eventFieldInfo = new { componentId, fieldValue } },
                eventArgs,
            ]);
            using var patience = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            patience.CancelAfter(Patience);
            var started = Stopwatch.GetTimestamp();
            await connection.SendAsync("BeginInvokeDotNetFromJS", callId, null, "DispatchEventAsync", interop, arguments, patience.Token);
            var seen = 0;
            await foreach (var timed in batches.Reader.ReadAllAsync(patience.Token))
            {
                seen++;
                if (shows(timed.Batch))
                {
                    return new DispatchedEvent(Stopwatch.GetElapsedTime(started, timed.ArrivedAt), timed.Batch, seen);
                }
            }

            throw new InvalidOperationException($"The circuit closed before it showed the {eventName} event. {Problems()}");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"No render batch showed the {eventName} event within {Patience.TotalSeconds} s. {Problems()}");
        }
        finally
        {
            Volatile.Write(ref watching, null);
        }
    }

    /// <summary>Anything that went wrong so far: server errors, failed calls, server calls this client could not bind.</summary>
    public string Problems()
    {
        var problems = errors.Concat(protocol.BindingFailures.Select(f => $"Could not bind {f}")).ToList();
        return problems.Count == 0 ? "No errors were reported." : string.Join(" ", problems);
    }

    public bool HasProblems => !errors.IsEmpty || protocol.BindingFailures.Count > 0;

    private async Task OnRenderBatchAsync(long batchId, byte[] data)
    {
        var arrived = Stopwatch.GetTimestamp();
        var batch = RenderBatchReader.Read(data);
        Interlocked.Increment(ref renderBatches);
        observe(batch);
        Volatile.Read(ref watching)?.Writer.TryWrite(new TimedRenderBatch(arrived, batch));
        // As blazor.web.js does once it has applied a batch.
        await connection.SendAsync("OnRenderCompleted", batchId, (string?)null);
    }

    private async Task OnBeginInvokeJSAsync(long asyncHandle, string identifier, string argsJson, int resultType, long targetInstanceId, int callType)
    {
        javaScriptCalls.AddOrUpdate(identifier, 1, (_, calls) => calls + 1);
        if (identifier == AttachRendererInterop)
        {
            rendererAttached.TrySetResult(DotNetObjectId(argsJson));
        }

        // A call made without waiting for its result (handle 0) gets no answer.
        if (asyncHandle == 0)
        {
            return;
        }

        var result = resultType == JSObjectReferenceResult
            ? $"{{\"__jsObjectId\":{Interlocked.Increment(ref nextJSObjectId)}}}"
            : Answers.GetValueOrDefault(identifier, "null");
        await connection.SendAsync("EndInvokeJSFromDotNet", asyncHandle, true, $"[{asyncHandle},true,{result}]");
    }

    private void OnEndInvokeDotNet(string callId, bool success, string? resultOrError)
    {
        if (!success)
        {
            Fail($"Call {callId} into .NET failed: {resultOrError}");
        }
    }

    private void Fail(string error)
    {
        errors.Enqueue(error);
        Volatile.Read(ref watching)?.Writer.TryComplete(new InvalidOperationException(error));
    }

    /// <summary>The first <c>{"__dotNetObject": id}</c> among the call's arguments: the renderer's interop methods.</summary>
    private static long DotNetObjectId(string argsJson)
    {
        using var arguments = JsonDocument.Parse(argsJson);
        foreach (var argument in arguments.RootElement.EnumerateArray())
        {
            if (argument.ValueKind == JsonValueKind.Object && argument.TryGetProperty("__dotNetObject", out var id))
            {
                return id.GetInt64();
            }
        }

        throw new InvalidDataException($"{AttachRendererInterop} carried no .NET object: {argsJson}");
    }

    private async Task Until(Task task, string what, CancellationToken cancellationToken)
    {
        try
        {
            await task.WaitAsync(Patience, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Waited {Patience.TotalSeconds} s for {what}. {Problems()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (circuitSecret is not null && connection.State == HubConnectionState.Connected)
        {
            try
            {
                await session.DisconnectAsync(circuitSecret, CancellationToken.None);
            }
            catch (HttpRequestException)
            {
                // The socket closing below ends it too, after the Portal's disconnected retention.
            }
        }

        await connection.DisposeAsync();
    }
}
