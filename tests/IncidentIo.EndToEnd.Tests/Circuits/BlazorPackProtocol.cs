using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace IncidentIo.EndToEnd.Tests.Circuits;

/// <summary>
/// SignalR's MessagePack hub protocol under the only name Blazor's hub accepts, "blazorpack": the
/// wire format blazor.web.js speaks (it renames its MessagePack protocol the same way). Keeps the
/// server calls it could not bind to a handler (a call whose arguments differ from the handler's),
/// which SignalR's client would otherwise only log, so a client can fail with them instead of
/// waiting for an answer that never comes.
/// </summary>
public sealed class BlazorPackProtocol : IHubProtocol
{
    private readonly MessagePackHubProtocol inner = new();
    private readonly ConcurrentQueue<string> bindingFailures = new();

    public string Name => "blazorpack";

    public int Version => inner.Version;

    public TransferFormat TransferFormat => inner.TransferFormat;

    /// <summary>Each server call that could not be bound: its target and why.</summary>
    public IReadOnlyCollection<string> BindingFailures => bindingFailures;

    public bool TryParseMessage(ref ReadOnlySequence<byte> input, IInvocationBinder binder, [NotNullWhen(true)] out HubMessage? message)
    {
        if (!inner.TryParseMessage(ref input, binder, out message))
        {
            return false;
        }

        if (message is InvocationBindingFailureMessage failure)
        {
            bindingFailures.Enqueue($"{failure.Target}: {failure.BindingFailure.SourceException.Message}");
        }

        return true;
    }

    public void WriteMessage(HubMessage message, IBufferWriter<byte> output) => inner.WriteMessage(message, output);

    public ReadOnlyMemory<byte> GetMessageBytes(HubMessage message) => inner.GetMessageBytes(message);

    public bool IsVersionSupported(int version) => inner.IsVersionSupported(version);
}
