using Microsoft.AspNetCore.Components.Server.Circuits;

namespace IncidentIo.Portal.Circuits;

/// <summary>
/// How many Blazor circuits this Portal holds: open ones (each keeps its components, services and
/// render state in memory) and of those, how many have a browser connected right now. A circuit
/// whose browser went away stays open, disconnected, until <c>Circuits:DisconnectedRetention</c> passes.
/// </summary>
public sealed class LiveCircuits
{
    private int open;
    private int connected;

    public int Open => Volatile.Read(ref open);

    public int Connected => Volatile.Read(ref connected);

    internal void Opened() => Interlocked.Increment(ref open);

    internal void Closed() => Interlocked.Decrement(ref open);

    internal void Up() => Interlocked.Increment(ref connected);

    internal void Down() => Interlocked.Decrement(ref connected);
}

/// <summary>Feeds <see cref="LiveCircuits"/>; one per circuit, as Blazor creates circuit handlers in the circuit's scope.</summary>
public sealed class LiveCircuitsHandler(LiveCircuits circuits) : CircuitHandler
{
    public override Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        circuits.Opened();
        return Task.CompletedTask;
    }

    public override Task OnConnectionUpAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        circuits.Up();
        return Task.CompletedTask;
    }

    public override Task OnConnectionDownAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        circuits.Down();
        return Task.CompletedTask;
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        circuits.Closed();
        return Task.CompletedTask;
    }
}
