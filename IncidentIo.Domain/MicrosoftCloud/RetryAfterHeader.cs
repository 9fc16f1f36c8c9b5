using System.Globalization;

namespace IncidentIo.Domain.MicrosoftCloud;

/// <summary>Microsoft's <c>Retry-After</c> (seconds) from a Graph SDK response's headers.</summary>
public static class RetryAfterHeader
{
    public static TimeSpan? From(IDictionary<string, IEnumerable<string>> headers) =>
        headers.FirstOrDefault(h => h.Key.Equals("Retry-After", StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault() is { } value
        && int.TryParse(value, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0
            ? TimeSpan.FromSeconds(seconds)
            : null;
}
