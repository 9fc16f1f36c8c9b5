using IncidentIo.Sandbox.Entra;
using IncidentIo.Sandbox.State;

namespace IncidentIo.Sandbox.Hosting;

/// <summary>What every endpoint shares. <see cref="Origin"/> is known only once Kestrel has a port.</summary>
public sealed class SandboxRuntime(SandboxState state, SigningKeys keys, EntraStore store, TimeProvider time)
{
    public string Origin { get; internal set; } = "";

    public SandboxState State { get; } = state;

    public SigningKeys Keys { get; } = keys;

    public EntraStore Store { get; } = store;

    public TimeProvider Time { get; } = time;

    public DateTimeOffset Now => Time.GetUtcNow();
}
