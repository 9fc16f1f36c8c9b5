namespace IncidentIo.Domain.MicrosoftCloud;

/// <summary>How long to wait before trying a call again when Microsoft sent no <c>Retry-After</c>.</summary>
public static class RetryBackoff
{
    /// <summary><paramref name="first"/>, doubling with each attempt (1-based), at most <paramref name="max"/>.</summary>
    public static TimeSpan Exponential(int attempt, TimeSpan first, TimeSpan max) =>
        TimeSpan.FromMilliseconds(Math.Min(max.TotalMilliseconds, first.TotalMilliseconds * Math.Pow(2, attempt - 1)));

    /// <summary>The same, spread by ±20% so that many callers failing together do not retry together.</summary>
    public static TimeSpan WithJitter(int attempt, TimeSpan first, TimeSpan max) =>
        Exponential(attempt, first, max) * (0.8 + (Random.Shared.NextDouble() * 0.4));
}
