using System.Text.RegularExpressions;

namespace IncidentIo.Domain.Setup.AutomaticInstall;

/// <summary>
/// Reads the addresses Teams answers a team creation with: <c>Location: /teams('{id}')/operations('{opId}')</c>
/// and <c>Content-Location: /teams('{id}')</c> (relative; quotes optional).
/// </summary>
public static partial class TeamsAsyncOperationAddress
{
    public static (string TeamId, string OperationId)? Parse(string? location)
    {
        var match = location is null ? Match.Empty : Operation().Match(location);
        return match.Success ? (match.Groups["team"].Value, match.Groups["operation"].Value) : null;
    }

    public static string? TeamIdOf(string? location)
    {
        var match = location is null ? Match.Empty : Team().Match(location);
        return match.Success ? match.Groups["team"].Value : null;
    }

    [GeneratedRegex(@"/teams\('?(?<team>[^'/()]+)'?\)/operations\('?(?<operation>[^'/()]+)'?\)", RegexOptions.IgnoreCase)]
    private static partial Regex Operation();

    [GeneratedRegex(@"/teams\('?(?<team>[^'/()]+)'?\)", RegexOptions.IgnoreCase)]
    private static partial Regex Team();
}
