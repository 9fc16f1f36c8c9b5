using IncidentIo.Domain.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Distributed;

namespace IncidentIo.Domain.MicrosoftCloud;

/// <summary>
/// <see cref="IDistributedCache"/> in the product's own database, for MSAL's token cache: a user
/// signed in on one Portal has their tokens on every Portal and Worker, and nothing is lost on
/// restart. Expired entries are removed when met and by <see cref="RemoveExpiredAsync"/>.
/// </summary>
public sealed class DatabaseDistributedCache(IDbContextFactory<IncidentIoDbContext> dbFactory, TimeProvider clock) : IDistributedCache
{
    private static readonly TimeSpan DefaultLifetime = TimeSpan.FromDays(1);

    public byte[]? Get(string key) => GetAsync(key).GetAwaiter().GetResult();

    public async Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(token);
        var entry = await db.TokenCache.SingleOrDefaultAsync(e => e.Key == key, token);
        var now = clock.GetUtcNow();
        if (entry is null)
        {
            return null;
        }

        if (entry.ExpiresAt <= now)
        {
            db.TokenCache.Remove(entry);
            await SaveIgnoringRacesAsync(db, token);
            return null;
        }

        if (Slide(entry, now))
        {
            await SaveIgnoringRacesAsync(db, token);
        }

        return entry.Value;
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => SetAsync(key, value, options).GetAwaiter().GetResult();

    public async Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (key.Length > TokenCacheEntry.KeyMaxLength)
        {
            throw new ArgumentException($"Cache keys are at most {TokenCacheEntry.KeyMaxLength} characters.", nameof(key));
        }

        var now = clock.GetUtcNow();
        var absolute = options.AbsoluteExpiration ?? (options.AbsoluteExpirationRelativeToNow is { } relative ? now + relative : null);
        var expires = options.SlidingExpiration is { } sliding ? Min(now + sliding, absolute) : absolute ?? now + DefaultLifetime;
        for (var attempt = 0; ; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(token);
            var entry = await db.TokenCache.SingleOrDefaultAsync(e => e.Key == key, token);
            if (entry is null)
            {
                db.TokenCache.Add(new TokenCacheEntry { Key = key, Value = value, ExpiresAt = expires, SlidingExpiration = options.SlidingExpiration, AbsoluteExpiresAt = absolute });
            }
            else
            {
                entry.Value = value;
                entry.ExpiresAt = expires;
                entry.SlidingExpiration = options.SlidingExpiration;
                entry.AbsoluteExpiresAt = absolute;
            }

            try
            {
                await db.SaveChangesAsync(token);
                return;
            }
            catch (DbUpdateException) when (attempt < 2)
            {
                // Another process wrote the same key at the same moment: write again over it.
            }
        }
    }

    public void Refresh(string key) => RefreshAsync(key).GetAwaiter().GetResult();

    public async Task RefreshAsync(string key, CancellationToken token = default) => await GetAsync(key, token);

    public void Remove(string key) => RemoveAsync(key).GetAwaiter().GetResult();

    public async Task RemoveAsync(string key, CancellationToken token = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(token);
        await db.TokenCache.Where(e => e.Key == key).ExecuteDeleteAsync(token);
    }

    public async Task<int> RemoveExpiredAsync(CancellationToken token = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(token);
        var now = clock.GetUtcNow();
        return await db.TokenCache.Where(e => e.ExpiresAt <= now).ExecuteDeleteAsync(token);
    }

    private static bool Slide(TokenCacheEntry entry, DateTimeOffset now)
    {
        if (entry.SlidingExpiration is not { } sliding)
        {
            return false;
        }

        var next = Min(now + sliding, entry.AbsoluteExpiresAt);
        if (next <= entry.ExpiresAt)
        {
            return false;
        }

        entry.ExpiresAt = next;
        return true;
    }

    private static DateTimeOffset Min(DateTimeOffset value, DateTimeOffset? cap) => cap is { } c && c < value ? c : value;

    private static async Task SaveIgnoringRacesAsync(IncidentIoDbContext db, CancellationToken token)
    {
        try
        {
            await db.SaveChangesAsync(token);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Removed or rewritten by another process meanwhile: its write wins.
        }
    }
}
