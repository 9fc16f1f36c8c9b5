using System.Text.RegularExpressions;
using IncidentIo.Sandbox.State;

namespace IncidentIo.Sandbox.Graph;

/// <summary>
/// The <c>$filter</c> forms the product uses on users: <c>prop eq 'value'</c> and
/// <c>startswith(prop,'value')</c>. Graph compares these strings case-insensitively.
/// </summary>
public static partial class UserFilter
{
    public static Func<User, bool>? Parse(string filter)
    {
        var eq = EqualsPattern().Match(filter);
        if (eq.Success)
        {
            var value = Unquote(eq.Groups["value"].Value);
            var get = Property(eq.Groups["prop"].Value);
            return get is null ? null : u => string.Equals(get(u), value, StringComparison.OrdinalIgnoreCase);
        }

        var starts = StartsWithPattern().Match(filter);
        if (starts.Success)
        {
            var value = Unquote(starts.Groups["value"].Value);
            var get = Property(starts.Groups["prop"].Value);
            return get is null ? null : u => get(u)?.StartsWith(value, StringComparison.OrdinalIgnoreCase) == true;
        }

        return null;
    }

    private static Func<User, string?>? Property(string name) => name.ToUpperInvariant() switch
    {
        "USERPRINCIPALNAME" => u => u.UserPrincipalName,
        "DISPLAYNAME" => u => u.DisplayName,
        "MAIL" => u => u.Mail,
        "ID" => u => u.Id.ToString(),
        "GIVENNAME" => u => u.GivenName,
        "SURNAME" => u => u.Surname,
        _ => null,
    };

    private static string Unquote(string value) => value.Replace("''", "'", StringComparison.Ordinal);

    [GeneratedRegex(@"^\s*(?<prop>\w+)\s+eq\s+'(?<value>(?:[^']|'')*)'\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex EqualsPattern();

    [GeneratedRegex(@"^\s*startswith\(\s*(?<prop>\w+)\s*,\s*'(?<value>(?:[^']|'')*)'\s*\)\s*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex StartsWithPattern();
}
