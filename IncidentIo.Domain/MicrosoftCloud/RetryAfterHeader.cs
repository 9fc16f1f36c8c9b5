using System.Globalization;
using System.Net.Http.Headers;

namespace IncidentIo.Domain.MicrosoftCloud;

/// <summary>Microsoft's <c>Retry-After</c> (seconds) from a response's headers.</summary>
public static class RetryAfterHeader
{
    /// <summary>From a Graph SDK response's headers.</summary>
    public static TimeSpan? From(IDictionary<string, IEnumerable<string>> headers) =>
        Parse(headers.FirstOrDefault(h => h.Key.Equals("Retry-After", StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault());

    /// <summary>From an <see cref="HttpClient"/> response's (or MSAL error's) headers.</summary>
    public static TimeSpan? From(HttpHeaders? headers) =>
        headers is not null && headers.TryGetValues("Retry-After", out var values) ? Parse(values.FirstOrDefault()) : null;

    /// <summary>
    /// At most <paramref name="max"/> (<c>Microsoft:MaxRetryAfter</c>): Microsoft sets no upper bound, and
    /// a worker must not sit on a lease or a tenant's whole queue for whatever a response says.
    /// </summary>
    public static TimeSpan? Capped(TimeSpan? retryAfter, TimeSpan max) => retryAfter > max ? max : retryAfter;

    /// <summary>
    /// Seconds (https://learn.microsoft.com/en-us/graph/throttling: "wait the number of seconds specified
    /// in the Retry-After header"); a value with a fraction is waited exactly, not refused for want of a whole number.
    /// </summary>
    private static TimeSpan? Parse(string? value) =>
        decimal.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds((double)Math.Min(seconds, (decimal)TimeSpan.FromDays(365).TotalSeconds))
            : null;
}
