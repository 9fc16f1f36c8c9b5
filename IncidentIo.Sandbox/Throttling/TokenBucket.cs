namespace IncidentIo.Sandbox.Throttling;

/// <summary>
/// A token bucket holding at most one second's worth of requests, refilled continuously at the
/// rate. Time comes from the caller (the Sandbox's <see cref="TimeProvider"/>), so tests can move it.
/// </summary>
public sealed class TokenBucket(double perSecond, DateTimeOffset now)
{
    private readonly Lock _gate = new();
    private double _tokens = Math.Max(1, perSecond);
    private DateTimeOffset _updated = now;

    public double PerSecond { get; } = perSecond;

    private double Capacity => Math.Max(1, PerSecond);

    /// <summary>Takes a token, or says how long until one is there.</summary>
    public bool TryTake(DateTimeOffset now, out TimeSpan retryAfter)
    {
        lock (_gate)
        {
            Refill(now);
            if (_tokens >= 1)
            {
                _tokens -= 1;
                retryAfter = TimeSpan.Zero;
                return true;
            }

            retryAfter = TimeSpan.FromSeconds((1 - _tokens) / PerSecond);
            return false;
        }
    }

    /// <summary>Gives back a token taken for a request that another bucket then refused.</summary>
    public void Return()
    {
        lock (_gate)
        {
            _tokens = Math.Min(Capacity, _tokens + 1);
        }
    }

    private void Refill(DateTimeOffset now)
    {
        var elapsed = (now - _updated).TotalSeconds;
        if (elapsed > 0)
        {
            _tokens = Math.Min(Capacity, _tokens + (elapsed * PerSecond));
            _updated = now;
        }
    }
}
