using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace IncidentIo.Sandbox.TeamsClient;

/// <summary>
/// Renders what a bot posted readably, the way Teams would show it: Adaptive Card basics
/// (TextBlock, RichTextBlock, FactSet, ColumnSet, Container, Image, Action.OpenUrl as links) and
/// anything else as its JSON. Everything from the bot is HTML-encoded; links are http(s) only.
/// </summary>
public static class AdaptiveCardHtml
{
    public const string AdaptiveCardContentType = "application/vnd.microsoft.card.adaptive";

    // Relaxed escaping keeps '<' readable in the JSON shown; the result is HTML-encoded anyway.
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A message's text: encoded, line breaks kept.</summary>
    public static string Text(string? text) => E(text ?? "").Replace("\n", "<br>", StringComparison.Ordinal);

    public static string Attachments(JsonArray? attachments)
    {
        var html = new StringBuilder();
        foreach (var attachment in attachments ?? [])
        {
            if (attachment is JsonObject a && Str(a["contentType"]) == AdaptiveCardContentType && a["content"] is JsonObject card)
            {
                html.Append("<div class=\"adaptive-card\" data-testid=\"adaptive-card\">");
                Elements(html, card["body"] as JsonArray);
                Actions(html, card["actions"] as JsonArray);
                html.Append("</div>");
            }
            else
            {
                html.Append("<pre class=\"attachment-json\" data-testid=\"attachment-json\">").Append(Json(attachment)).Append("</pre>");
            }
        }

        return html.ToString();
    }

    private static void Elements(StringBuilder html, JsonArray? elements)
    {
        foreach (var node in elements ?? [])
        {
            if (node is not JsonObject element)
            {
                continue;
            }

            switch (Str(element["type"]))
            {
                case "TextBlock":
                    var weight = Str(element["weight"])?.Equals("bolder", StringComparison.OrdinalIgnoreCase) == true ? " bolder" : "";
                    var size = Str(element["size"])?.ToLowerInvariant() is { } s && s is "large" or "extralarge" or "medium" ? $" size-{s}" : "";
                    html.Append("<p class=\"text-block").Append(weight).Append(size).Append("\">").Append(Text(Str(element["text"]))).Append("</p>");
                    break;
                case "RichTextBlock":
                    html.Append("<p class=\"text-block\">");
                    foreach (var run in element["inlines"] as JsonArray ?? [])
                    {
                        html.Append(Text(run is JsonObject r ? Str(r["text"]) : Str(run)));
                    }

                    html.Append("</p>");
                    break;
                case "FactSet":
                    html.Append("<dl class=\"fact-set\">");
                    foreach (var fact in element["facts"] as JsonArray ?? [])
                    {
                        html.Append("<dt>").Append(Text(Str(fact?["title"]))).Append("</dt><dd>").Append(Text(Str(fact?["value"]))).Append("</dd>");
                    }

                    html.Append("</dl>");
                    break;
                case "ColumnSet":
                    html.Append("<div class=\"column-set\">");
                    foreach (var column in element["columns"] as JsonArray ?? [])
                    {
                        html.Append("<div class=\"column\">");
                        Elements(html, column?["items"] as JsonArray);
                        html.Append("</div>");
                    }

                    html.Append("</div>");
                    break;
                case "Container":
                    html.Append("<div class=\"container\">");
                    Elements(html, element["items"] as JsonArray);
                    html.Append("</div>");
                    break;
                case "Image":
                    html.Append("<p class=\"image\">[image: ").Append(E(Str(element["altText"]) ?? Str(element["url"]) ?? "")).Append("]</p>");
                    break;
                case "ActionSet":
                    Actions(html, element["actions"] as JsonArray);
                    break;
                default:
                    html.Append("<pre class=\"unknown-element\">").Append(Json(element)).Append("</pre>");
                    break;
            }
        }
    }

    private static void Actions(StringBuilder html, JsonArray? actions)
    {
        if (actions is not { Count: > 0 })
        {
            return;
        }

        html.Append("<div class=\"actions\">");
        foreach (var node in actions)
        {
            var action = node as JsonObject;
            var title = E(Str(action?["title"]) ?? "");
            switch (Str(action?["type"]))
            {
                case "Action.OpenUrl" when SafeUrl(Str(action!["url"])) is { } url:
                    html.Append("<a class=\"action open-url\" target=\"_blank\" rel=\"noopener\" href=\"").Append(E(url)).Append("\">").Append(title).Append("</a>");
                    break;
                case "Action.Submit" or "Action.Execute" or "Action.ShowCard" or "Action.ToggleVisibility":
                    // Shown, not wired: the Sandbox does not send invokes back to the bot.
                    html.Append("<button type=\"button\" class=\"action\" disabled>").Append(title).Append("</button>");
                    break;
                default:
                    html.Append("<pre class=\"unknown-element\">").Append(Json(node)).Append("</pre>");
                    break;
            }
        }

        html.Append("</div>");
    }

    /// <summary>Only absolute http(s) links: a <c>javascript:</c> URL from a card must not run in the view.</summary>
    private static string? SafeUrl(string? url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp) ? uri.AbsoluteUri : null;

    private static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static string Json(JsonNode? node) => E(node?.ToJsonString(Indented) ?? "null");

    private static string E(string value) => WebUtility.HtmlEncode(value);
}
