using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace IncidentIo.Sandbox.Entra;

/// <summary>Sends a result back to the app's redirect URI in the requested response mode.</summary>
public static class Redirects
{
    public static IResult Deliver(string redirectUri, string responseMode, IEnumerable<KeyValuePair<string, string?>> fields)
    {
        var present = fields.Where(f => f.Value is not null).ToList();
        return responseMode switch
        {
            "form_post" => Pages.FormPost(redirectUri, present),
            "fragment" => Results.Redirect($"{redirectUri}#{string.Join('&', present.Select(f => $"{Uri.EscapeDataString(f.Key)}={Uri.EscapeDataString(f.Value!)}"))}"),
            _ => Results.Redirect(QueryHelpers.AddQueryString(redirectUri, present)),
        };
    }

    /// <summary>The error fields Entra sends to a redirect URI.</summary>
    public static List<KeyValuePair<string, string?>> ErrorFields(string error, EntraError details, string origin) =>
    [
        new("error", error),
        new("error_description", details.Description),
        new("error_uri", details.ErrorUri(origin)),
    ];
}
