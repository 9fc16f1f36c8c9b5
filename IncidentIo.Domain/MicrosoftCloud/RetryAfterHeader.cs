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

    private static TimeSpan? Parse(string? value) =>
        int.TryParse(value, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0 ? TimeSpan.FromSeconds(seconds) : null;
}
