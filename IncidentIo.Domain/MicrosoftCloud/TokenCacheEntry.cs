namespace IncidentIo.Domain.MicrosoftCloud;

/// <summary>One entry of MSAL's token cache (a user's or a tenant's tokens), shared by every Portal and Worker.</summary>
public sealed class TokenCacheEntry
{
    public const int KeyMaxLength = 449;

    public required string Key { get; set; }

    public required byte[] Value { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    /// <summary>When set, each read pushes <see cref="ExpiresAt"/> this far ahead (up to <see cref="AbsoluteExpiresAt"/>).</summary>
    public TimeSpan? SlidingExpiration { get; set; }

    public DateTimeOffset? AbsoluteExpiresAt { get; set; }
}
