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

    /// <summary>What happened and what to do next, in words an admin understands.</summary>
    public Explanation Explain() => Code switch
    {
        65004 => new("You cancelled the permission request.", "Nothing was granted. Start the step again when you are ready and choose Accept."),
        90094 or 90095 => new("A Microsoft admin has to grant these permissions.",
            "Your account is not allowed to grant permissions for your whole organisation. Send the link below to a Global Administrator or Privileged Role Administrator."),
        50020 => new("That account belongs to another Microsoft organisation.",
            "Sign in with an admin account of the organisation you are setting up."),
        700016 => new("Microsoft does not know our app in your organisation.",
            "The app may have been removed from your tenant, or sign-in used another tenant. Try again; if it persists contact support with the ids below."),
        50011 => new("The return address is not registered for our app.", "This is a configuration problem on our side: contact support with the ids below."),
        53003 => new("A Conditional Access policy blocked the request.", "Ask your admin to check Conditional Access sign-in logs for the correlation id below."),
        65001 => new("Consent has not been given yet.", "Start the permission step again and choose Accept."),
        _ when Error == "access_denied" => new("Microsoft refused the request.", "Try again; if it persists, contact support with the ids below."),
        _ => new("Microsoft returned an error.", "Try again; if it persists, contact support with the ids below."),
    };

    private static string? Field(string description, string name)
    {
        var match = Regex.Match(description, $@"{Regex.Escape(name)}:\s*(?<value>[^\r\n]+)");
        return match.Success ? match.Groups["value"].Value.Trim() : null;
    }

    private static string FirstLine(string description) =>
        description.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()?.Trim() ?? "";

    [GeneratedRegex(@"AADSTS(\d+)")]
    private static partial Regex AadstsCode();
}

public sealed record Explanation(string What, string NextStep);
