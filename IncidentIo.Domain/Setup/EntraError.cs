using System.Text.RegularExpressions;

namespace IncidentIo.Domain.Setup;

/// <summary>
/// An error Microsoft Entra ID sent back to us (<c>error</c>, <c>error_description</c>), with the
/// pieces an admin or our support needs: the AADSTS code, trace id, correlation id and time, which
/// Entra only gives inside the description text.
/// </summary>
public sealed partial record EntraError(string Error, string Description, int? Code, string? TraceId, string? CorrelationId, string? Timestamp)
{
    public static EntraError Parse(string error, string? description)
    {
        description ??= "";
        var code = AadstsCode().Match(description);
        return new EntraError(
            error,
            FirstLine(description),
            code.Success ? int.Parse(code.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : null,
            Field(description, "Trace ID"),
            Field(description, "Correlation ID"),
            Field(description, "Timestamp"));
    }

    /// <summary>
    /// From the sign-in handler's failure text (<c>Message contains error: 'x', error_description: 'y', error_uri: 'z'</c>),
    /// or null when the text carries no Entra error.
    /// </summary>
    public static EntraError? FromProtocolMessage(string message)
    {
        var match = ProtocolMessage().Match(message);
        return match.Success ? Parse(match.Groups["error"].Value, match.Groups["description"].Value) : null;
    }

    /// <summary>What happened and what to do next, in words an admin understands (see <see cref="AadstsCatalogue"/>).</summary>
    public Explanation Explain() => AadstsCatalogue.Explain(Code, Error);

    private static string? Field(string description, string name)
    {
        var match = Regex.Match(description, $@"{Regex.Escape(name)}:\s*(?<value>[^\r\n]+)");
        return match.Success ? match.Groups["value"].Value.Trim() : null;
    }

    private static string FirstLine(string description) =>
        description.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? "";

    [GeneratedRegex(@"error: '(?<error>[^']*)', error_description: '(?<description>[^']*)'", RegexOptions.Singleline)]
    private static partial Regex ProtocolMessage();

    [GeneratedRegex(@"AADSTS(\d+)")]
    private static partial Regex AadstsCode();
}
