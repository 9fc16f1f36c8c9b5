using System.Collections.Concurrent;

namespace IncidentIo.Sandbox.Throttling;

/// <summary>
/// Decides whether a Graph request may run now. Requests are classified by method and path
/// pattern, so endpoints added later are covered without changes here.
/// </summary>
public sealed class Throttler(ThrottlingOptions options, TimeProvider time)
{
    public const string GlobalClass = "global";

    private readonly ConcurrentDictionary<string, TokenBucket> _buckets = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _rejected = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _admitted = new(StringComparer.Ordinal);
    private readonly CompiledRule[] _rules = [.. options.Rules.Select(r => new CompiledRule(r))];
    private volatile bool _enabled = options.Enabled;

    public ThrottlingOptions Options => options;

    /// <summary>Switches throttling on or off for the running Sandbox.</summary>
    public bool Enabled
    {
        get => _enabled;
        set => _enabled = value;
    }

    /// <summary>429s answered so far, by operation class (and <c>per team</c>).</summary>
    public IReadOnlyDictionary<string, long> Rejected => _rejected.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    /// <summary>Requests let through so far while throttling was on, by operation class: what a client really spent against each limit.</summary>
    public IReadOnlyDictionary<string, long> Admitted => _admitted.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    /// <summary>The operation class of a request: the first matching rule, else <c>null</c> (global).</summary>
    public ThrottleRule? Classify(string method, string graphPath)
    {
        var segments = graphPath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return _rules.FirstOrDefault(r => r.Matches(method, segments))?.Rule;
    }

    /// <summary>
    /// Takes a token from every bucket the request counts against. Returns null when admitted,
    /// otherwise how long to wait and which class refused.
    /// </summary>
    public (TimeSpan RetryAfter, string Class)? Check(Guid tenantId, string appId, string method, string graphPath)
    {
        if (!_enabled)
        {
            return null;
        }

        var now = time.GetUtcNow();
        var rule = Classify(method, graphPath);
        var app = appId.ToLowerInvariant();
        var name = rule?.Name ?? GlobalClass;
        var limits = new List<(string Key, double PerSecond, string Name)>();
        if (rule is null)
        {
            limits.Add(($"{GlobalClass}|{app}", options.GlobalPerAppPerSecond, GlobalClass));
        }
        else
        {
            limits.Add((rule.Scope == ThrottleScope.App ? $"{name}|{app}" : $"{name}|{app}|{tenantId}", rule.PerSecond, name));
            if (rule.AcrossTenantsPerSecond > 0 && rule.Scope == ThrottleScope.AppInTenant)
            {
                limits.Add(($"{name}|{app}|all tenants", rule.AcrossTenantsPerSecond, $"{name} (all tenants)"));
            }
        }

        if (TeamOf(graphPath) is { } team && options.PerTeamPerSecond > 0)
        {
            limits.Add(($"team|{app}|{tenantId}|{team}", options.PerTeamPerSecond, "per team"));
        }

        var taken = new List<TokenBucket>();
        foreach (var limit in limits.Where(l => l.PerSecond > 0))
        {
            var bucket = _buckets.GetOrAdd(limit.Key, _ => new TokenBucket(limit.PerSecond, now));
            if (!bucket.TryTake(now, out var wait))
            {
                taken.ForEach(b => b.Return());
                return Refuse(wait, limit.Name);
            }

            taken.Add(bucket);
        }

        _admitted.AddOrUpdate(name, 1, (_, n) => n + 1);
        return null;
    }

    /// <summary>Forgets all buckets: every class starts full again.</summary>
    public void Reset() => _buckets.Clear();

    /// <summary>Forgets the counts of admitted and refused requests.</summary>
    public void ResetCounts()
    {
        _admitted.Clear();
        _rejected.Clear();
    }

    private (TimeSpan, string) Refuse(TimeSpan wait, string name)
    {
        _rejected.AddOrUpdate(name, 1, (_, n) => n + 1);
        return (wait, name);
    }

    private static string? TeamOf(string graphPath)
    {
        var segments = graphPath.Split('/', 3, StringSplitOptions.RemoveEmptyEntries);
        return segments.Length >= 2 && segments[0].Equals("teams", StringComparison.OrdinalIgnoreCase) ? segments[1].ToLowerInvariant() : null;
    }

    private sealed class CompiledRule(ThrottleRule rule)
    {
        private readonly string[] _segments = rule.Pattern.Split('/', StringSplitOptions.RemoveEmptyEntries);

        public ThrottleRule Rule { get; } = rule;

        public bool Matches(string method, string[] path)
        {
            if (Rule.Method != "*" && !Rule.Method.Equals(method, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            var rest = _segments.Length > 0 && _segments[^1] == "**";
            var fixedCount = rest ? _segments.Length - 1 : _segments.Length;
            if (rest ? path.Length < fixedCount : path.Length != fixedCount)
            {
                return false;
            }

            for (var i = 0; i < fixedCount; i++)
            {
                var pattern = _segments[i];
                var isParameter = pattern.StartsWith('{') && pattern.EndsWith('}');
                if (!isParameter && !pattern.Equals(path[i], StringComparison.OrdinalIgnoreCase))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
