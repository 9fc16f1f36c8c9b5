namespace IncidentIo.Sandbox.Tests.Infrastructure;

/// <summary>A clock the tests move forward, to expire tokens and codes without waiting.</summary>
public sealed class ManualClock : TimeProvider
{
    private TimeSpan _offset;

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + _offset;

    public void Advance(TimeSpan by) => _offset += by;
}
