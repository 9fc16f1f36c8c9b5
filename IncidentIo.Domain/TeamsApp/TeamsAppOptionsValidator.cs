using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.TeamsApp;

/// <summary>Checks <c>TeamsApp:*</c> with messages that name the key to fix.</summary>
public sealed partial class TeamsAppOptionsValidator : IValidateOptions<TeamsAppOptions>
{
    // Limits from the Teams app manifest schema (name.short, name.full).
    public const int ShortNameMaxLength = 30;
    public const int FullNameMaxLength = 100;

    public ValidateOptionsResult Validate(string? name, TeamsAppOptions options)
    {
        var failures = new List<string>();
        CheckGuid(failures, nameof(TeamsAppOptions.AppId), options.AppId);
        CheckGuid(failures, nameof(TeamsAppOptions.BotId), options.BotId);
        CheckGuid(failures, nameof(TeamsAppOptions.TabSsoAppId), options.TabSsoAppId);
        for (var i = 0; i < (options.TabClientIds?.Length ?? 0); i++)
        {
            CheckGuid(failures, $"{nameof(TeamsAppOptions.TabClientIds)}:{i}", options.TabClientIds![i]);
        }
        if (PortalHostProblem(options.PortalHost) is { } problem)
        {
            failures.Add($"{Key(nameof(TeamsAppOptions.PortalHost))} {problem}, not '{options.PortalHost}'.");
        }

        if (options.Version is null || !Semver().IsMatch(options.Version))
        {
            failures.Add($"{Key(nameof(TeamsAppOptions.Version))} must be a version MAJOR.MINOR.PATCH such as 1.0.0, not '{options.Version}'.");
        }

        CheckName(failures, nameof(TeamsAppOptions.ShortName), options.ShortName, ShortNameMaxLength);
        CheckName(failures, nameof(TeamsAppOptions.FullName), options.FullName, FullNameMaxLength);
        if (string.Equals(options.ShortName?.Trim(), options.FullName?.Trim(), StringComparison.OrdinalIgnoreCase))
        {
            failures.Add($"{Key(nameof(TeamsAppOptions.FullName))} must differ from {Key(nameof(TeamsAppOptions.ShortName))} (Teams refuses an app whose two names are the same).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static string Key(string property) => $"{TeamsAppOptions.Section}:{property}";

    private static void CheckGuid(List<string> failures, string property, string? value)
    {
        if (!Guid.TryParseExact(value, "D", out _))
        {
            failures.Add($"{Key(property)} must be a GUID such as 00000000-0000-0000-0000-000000000000, not '{value}'.");
        }
    }

    private static void CheckName(List<string> failures, string property, string? value, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            failures.Add($"{Key(property)} is required.");
        }
        else if (value.Length > maxLength)
        {
            failures.Add($"{Key(property)} must be at most {maxLength} characters, not {value.Length} ('{value}').");
        }
    }

    /// <summary>Why the value cannot be the host part of our https URLs and of <c>validDomains</c>, or null.</summary>
    private static string? PortalHostProblem(string? host)
    {
        if (string.IsNullOrWhiteSpace(host))
        {
            return "is required";
        }

        if (host.Contains("://", StringComparison.Ordinal))
        {
            return "must be a host name without a scheme (the manifest always uses https)";
        }

        if (host.IndexOfAny(['/', '?', '#', '@', '*']) >= 0 || host.Any(char.IsWhiteSpace))
        {
            return "must be a host name with an optional port and nothing else (no path, query or wildcard)";
        }

        if (host.EndsWith(":443", StringComparison.Ordinal))
        {
            return "must leave out the port when it is 443 (an https origin is reported without it)";
        }

        // The URL parser is the judge of a valid host and port; it must give back exactly what was written.
        return Uri.TryCreate($"https://{host}/", UriKind.Absolute, out var uri)
            && string.Equals(uri.Authority, host, StringComparison.OrdinalIgnoreCase)
            && uri.HostNameType is UriHostNameType.Dns or UriHostNameType.IPv4 or UriHostNameType.IPv6
                ? null
                : "must be a host name with an optional port, e.g. incidents.example.com or localhost:7080";
    }

    // The manifest schema's own semver definition: three numbers without leading zeros.
    [GeneratedRegex(@"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$", RegexOptions.CultureInvariant)]
    private static partial Regex Semver();
}
