namespace IncidentIo.Sandbox.BotFramework;

/// <summary>
/// Sliding-window counters for Teams' published bot limits (<see cref="BotRateLimits"/>), on the
/// Sandbox clock. Only consulted when <see cref="BotFrameworkSandbox.EnforceRateLimits"/> is on.
/// A refused request is not counted, as a 429 does not use up quota.
/// </summary>
public sealed class ConnectorRateLimiter(BotRateLimits limits)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<DateTimeOffset>> _hits = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Counts a send or create-conversation; returns how long to wait when over a limit.</summary>
    public TimeSpan? Send(string botAppId, Guid? tenantId, string thread, DateTimeOffset now) =>
        Take(now, [
            ($"send|{botAppId}|{thread}", limits.SendPerBotPerThread),
            ($"send|{thread}", limits.SendPerThread),
            ($"app|{botAppId}|{tenantId}", [(limits.PerAppPerTenantPerSecond, TimeSpan.FromSeconds(1))]),
        ]);

    /// <summary>Counts a members read; returns how long to wait when over a limit.</summary>
    public TimeSpan? Read(string botAppId, Guid? tenantId, string thread, DateTimeOffset now) =>
        Take(now, [
            ($"read|{botAppId}|{thread}", limits.ReadPerBotPerThread),
            ($"read|{thread}", limits.ReadPerThread),
            ($"app|{botAppId}|{tenantId}", [(limits.PerAppPerTenantPerSecond, TimeSpan.FromSeconds(1))]),
        ]);

    private TimeSpan? Take(DateTimeOffset now, IReadOnlyList<(string Key, IReadOnlyList<(int Requests, TimeSpan Window)> Limits)> buckets)
    {
        lock (_gate)
        {
            TimeSpan? wait = null;
            foreach (var (key, bucketLimits) in buckets)
            {
                var hits = _hits.TryGetValue(key, out var list) ? list : _hits[key] = [];
                var longest = bucketLimits.Max(l => l.Window);
                hits.RemoveAll(t => t <= now - longest);
                foreach (var (requests, window) in bucketLimits)
                {
                    var inWindow = hits.Where(t => t > now - window).ToList();
                    if (inWindow.Count >= requests)
                    {
                        var until = inWindow[inWindow.Count - requests] + window - now;
                        wait = wait is null || until > wait ? until : wait;
                    }
                }
            }

            if (wait is null)
            {
                foreach (var (key, _) in buckets)
                {
                    _hits[key].Add(now);
                }
            }

            return wait;
        }
    }
}
