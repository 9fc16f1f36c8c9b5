using System.Collections.Concurrent;

namespace IncidentIo.Sandbox.Faults;

/// <summary>
/// Fault settings per tenant and per user, and the seeded randomness that decides which calls fail:
/// with the same seed and the same sequence of calls, the same calls fail.
/// </summary>
public sealed class FaultInjector(int seed, TimeProvider time)
{
    /// <summary>How long a "timeout" holds a call at most before answering 504.</summary>
    public static readonly TimeSpan HoldLimit = TimeSpan.FromMinutes(2);

    private readonly ConcurrentDictionary<Guid, Entry> _tenants = new();
    private readonly ConcurrentDictionary<Guid, Entry> _users = new();

    public int Seed { get; } = seed;

    public FaultSettings ForTenant(Guid tenantId) => _tenants.TryGetValue(tenantId, out var e) ? e.Settings : FaultSettings.None;

    public FaultSettings? ForUser(Guid userId) => _users.TryGetValue(userId, out var e) ? e.Settings : null;

    public bool AnyUserSettings => !_users.IsEmpty;

    /// <summary>Users with settings of their own.</summary>
    public IReadOnlyDictionary<Guid, FaultSettings> Users => _users.ToDictionary(p => p.Key, p => p.Value.Settings);

    /// <summary>Replaces a tenant's settings; the random sequence restarts from the seed.</summary>
    public void SetTenant(Guid tenantId, FaultSettings settings) => _tenants[tenantId] = new Entry(settings, Seed);

    /// <summary>Replaces a user's settings (they win over the tenant's for calls by or about that user); null clears.</summary>
    public void SetUser(Guid userId, FaultSettings? settings)
    {
        if (settings is null)
        {
            _users.TryRemove(userId, out _);
        }
        else
        {
            _users[userId] = new Entry(settings, Seed);
        }
    }

    /// <summary>True when a tenant's team-creation operations should end failed.</summary>
    public bool FailsAsyncOperations(Guid tenantId) => ForTenant(tenantId).FailAsyncOperations;

    /// <summary>Clears every tenant and user setting.</summary>
    public void Clear()
    {
        _tenants.Clear();
        _users.Clear();
    }

    /// <summary>The settings that apply and a roll of the dice: which 5xx to answer, or null.</summary>
    internal (FaultSettings Settings, int? ErrorStatus) Roll(Guid tenantId, Guid? userId)
    {
        var entry = userId is { } u && _users.TryGetValue(u, out var user) ? user : _tenants.GetValueOrDefault(tenantId);
        if (entry is null)
        {
            return (FaultSettings.None, null);
        }

        var settings = entry.Settings;
        if (settings.ErrorRate <= 0 || settings.ErrorStatuses.Count == 0)
        {
            return (settings, null);
        }

        lock (entry.Random)
        {
            return entry.Random.NextDouble() < settings.ErrorRate
                ? (settings, settings.ErrorStatuses[entry.Random.Next(settings.ErrorStatuses.Count)])
                : (settings, null);
        }
    }

    internal DateTimeOffset Now => time.GetUtcNow();

    private sealed record Entry(FaultSettings Settings, int Seed)
    {
#pragma warning disable CA5394 // Deterministic on purpose: tests replay the same failures.
        public Random Random { get; } = new(Seed);
#pragma warning restore CA5394
    }
}
