using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace IncidentIo.Sandbox.Graph.Teams;

/// <summary>
/// Query options and request bodies of the Teams endpoints: <c>$filter</c> clauses of the form
/// <c>prop eq 'value'</c> joined by <c>and</c>, <c>$expand</c> lists, <c>$top</c>/<c>$skiptoken</c>
/// paging with next links on the Sandbox host, and <c>@odata.bind</c> references.
/// </summary>
public static partial class TeamsQuery
{
    /// <summary>The clauses of a filter, lower-cased property paths to values; null when a clause has another form.</summary>
    public static IReadOnlyList<(string Property, string Value)>? EqualsClauses(string filter)
    {
        var clauses = new List<(string, string)>();
        foreach (var part in AndPattern().Split(filter.Trim()))
        {
            var text = part.Trim();
            while (text.StartsWith('(') && text.EndsWith(')'))
            {
                text = text[1..^1].Trim();
            }

            var any = AnyPattern().Match(text);
            if (any.Success)
            {
                clauses.Add(($"{any.Groups["prop"].Value.ToUpperInvariant()}/ANY", Unquote(any.Groups["value"].Value)));
                continue;
            }

            var eq = EqualsPattern().Match(text);
            if (!eq.Success)
            {
                var starts = StartsWithPattern().Match(text);
                if (!starts.Success)
                {
                    return null;
                }

                clauses.Add(($"STARTSWITH:{starts.Groups["prop"].Value.ToUpperInvariant()}", Unquote(starts.Groups["value"].Value)));
                continue;
            }

            clauses.Add((eq.Groups["prop"].Value.ToUpperInvariant(), Unquote(eq.Groups["value"].Value)));
        }

        return clauses;
    }

    public static IResult UnsupportedFilter(HttpContext http, string filter) =>
        GraphErrors.BadRequest(http, "BadRequest", $"Invalid filter clause: The filter '{filter}' is not supported.");

    /// <summary>The navigation properties in <c>$expand</c>, lower-cased.</summary>
    public static HashSet<string> Expand(HttpContext http) =>
        http.Request.Query["$expand"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(e => e.ToUpperInvariant()).ToHashSet(StringComparer.Ordinal);

    /// <summary>Reads <c>$top</c> and <c>$skiptoken</c>; <paramref name="defaultTop"/> null means everything on one page.</summary>
    public static IResult? ReadPaging(HttpContext http, int? defaultTop, out int top, out int skip)
    {
        var query = http.Request.Query;
        top = defaultTop ?? int.MaxValue;
        skip = 0;
        if (!string.IsNullOrEmpty(query["$top"]) && (!int.TryParse(query["$top"], CultureInfo.InvariantCulture, out top) || top is < 1 or > 999))
        {
            return GraphErrors.BadRequest(http, "BadRequest", $"Invalid page size specified: '{query["$top"]}'. Must be between 1 and 999 inclusive.");
        }

        if (!string.IsNullOrEmpty(query["$skiptoken"]) && !TryReadSkipToken(query["$skiptoken"]!, out skip))
        {
            return GraphErrors.BadRequest(http, "BadRequest", "Invalid skip token.");
        }

        return null;
    }

    /// <summary>
    /// One page of a collection with <c>@odata.count</c> when asked (or always, where the reference
    /// page's example shows it) and <c>@odata.nextLink</c> when more follow.
    /// </summary>
    public static JsonObject Page(HttpContext http, string origin, string context, IReadOnlyList<JsonNode> all, int top, int skip, bool alwaysCount = false)
    {
        var body = new JsonObject { ["@odata.context"] = $"{origin}/v1.0/$metadata#{context}" };
        if (alwaysCount || string.Equals(http.Request.Query["$count"], "true", StringComparison.OrdinalIgnoreCase))
        {
            body["@odata.count"] = all.Count;
        }

        if (top < all.Count - skip)
        {
            var parts = new List<string> { $"$top={top}" };
            parts.AddRange(http.Request.Query.Where(q => q.Key is "$select" or "$filter" or "$expand" or "$count").Select(q => $"{q.Key}={Uri.EscapeDataString(q.Value.ToString())}"));
            parts.Add($"$skiptoken={WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes($"offset:{skip + top}"))}");
            body["@odata.nextLink"] = $"{origin}{http.Request.Path}?{string.Join('&', parts)}";
        }

        body["value"] = new JsonArray([.. all.Skip(skip).Take(top).Select(n => n.DeepClone())]);
        return body;
    }

    /// <summary>The request body as a JSON object, or null when it is not one.</summary>
    public static async Task<JsonObject?> ReadBodyAsync(HttpContext http)
    {
        try
        {
            return await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static string? Text(JsonObject body, string name) =>
        body[name] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    /// <summary>The catalog id in <c>…/appCatalogs/teamsApps/{id}</c> or <c>…/teamsApps('{id}')</c>.</summary>
    public static Guid? CatalogAppId(string? bind) =>
        bind is not null && CatalogBindPattern().Match(bind) is { Success: true } m && Guid.TryParse(m.Groups["id"].Value, out var id) ? id : null;

    /// <summary>The user id or UPN in <c>…/users('{id}')</c> or <c>…/users/{id}</c>.</summary>
    public static string? UserReference(string? bind) =>
        bind is not null && UserBindPattern().Match(bind) is { Success: true } m ? Uri.UnescapeDataString(m.Groups["id"].Value) : null;

    /// <summary>The template name in <c>…/teamsTemplates('{name}')</c>.</summary>
    public static string? Template(string? bind) =>
        bind is not null && TemplateBindPattern().Match(bind) is { Success: true } m ? m.Groups["id"].Value : null;

    private static bool TryReadSkipToken(string token, out int skip)
    {
        skip = 0;
        try
        {
            var text = Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(token));
            return text.StartsWith("offset:", StringComparison.Ordinal) && int.TryParse(text[7..], CultureInfo.InvariantCulture, out skip) && skip >= 0;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static string Unquote(string value) => value.Replace("''", "'", StringComparison.Ordinal);

    [GeneratedRegex(@"\s+and\s+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AndPattern();

    [GeneratedRegex(@"^(?<prop>[\w./]+)\s+eq\s+'(?<value>(?:[^']|'')*)'$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex EqualsPattern();

    [GeneratedRegex(@"^startswith\(\s*(?<prop>[\w./]+)\s*,\s*'(?<value>(?:[^']|'')*)'\s*\)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex StartsWithPattern();

    [GeneratedRegex(@"^(?<prop>\w+)/any\(\s*(?<var>\w+)\s*:\s*\k<var>\s+eq\s+'(?<value>(?:[^']|'')*)'\s*\)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex AnyPattern();

    [GeneratedRegex(@"teamsApps(?:/|\(')(?<id>[0-9a-fA-F-]{36})", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex CatalogBindPattern();

    [GeneratedRegex(@"users(?:\('(?<id>[^']+)'\)|/(?<id>[^/?]+))", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex UserBindPattern();

    [GeneratedRegex(@"teamsTemplates\('(?<id>[^']+)'\)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TemplateBindPattern();
}
