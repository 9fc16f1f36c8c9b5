using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace IncidentIo.Sandbox.TeamsClient;

/// <summary>
/// Renders what a bot posted readably, the way Teams would show it: Adaptive Card basics
/// (TextBlock, RichTextBlock, FactSet, ColumnSet, Container, Image, Action.OpenUrl as links),
/// inputs (Input.Text, Input.ChoiceSet) and Action.Execute as a form that the Teams view sends
/// back to the bot as an invoke, and anything else as its JSON. Everything from the bot is
/// HTML-encoded; links are http(s) only.
/// </summary>
public static class AdaptiveCardHtml
{
    public const string AdaptiveCardContentType = "application/vnd.microsoft.card.adaptive";

    /// <summary>Form fields: the pressed action's index (<see cref="ExecuteActions"/>), and each input under this prefix and its id.</summary>
    public const string ActionField = "action";
    public const string InputPrefix = "input.";

    // Relaxed escaping keeps '<' readable in the JSON shown; the result is HTML-encoded anyway.
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>A message's text: encoded, line breaks kept.</summary>
    public static string Text(string? text) => E(text ?? "").Replace("\n", "<br>", StringComparison.Ordinal);

    /// <param name="executeUrl">Where the card's form posts; null shows inputs and Action.Execute disabled.</param>
    /// <param name="replacedCard">The card this person sees instead of the first Adaptive Card (the bot's answer to their action).</param>
    public static string Attachments(JsonArray? attachments, string? executeUrl = null, JsonObject? replacedCard = null)
    {
        var html = new StringBuilder();
        var first = true;
        foreach (var attachment in attachments ?? [])
        {
            if (attachment is JsonObject a && Str(a["contentType"]) == AdaptiveCardContentType && a["content"] is JsonObject sent)
            {
                var card = first && replacedCard is not null ? replacedCard : sent;
                first = false;
                var form = executeUrl is not null && ExecuteActions(card).Count > 0 ? new Form() : null;
                html.Append(form is null ? "<div class=\"adaptive-card\" data-testid=\"adaptive-card\">" : $"<form method=\"post\" class=\"adaptive-card\" data-testid=\"adaptive-card\" action=\"{E(executeUrl!)}\">");
                Elements(html, card["body"] as JsonArray, form);
                Actions(html, card["actions"] as JsonArray, form);
                html.Append(form is null ? "</div>" : "</form>");
            }
            else
            {
                html.Append("<pre class=\"attachment-json\" data-testid=\"attachment-json\">").Append(Json(attachment)).Append("</pre>");
            }
        }

        return html.ToString();
    }

    /// <summary>The card's Action.Execute actions in the order they are shown (body's ActionSets, then the card's actions): the form's action index.</summary>
    public static IReadOnlyList<JsonObject> ExecuteActions(JsonObject card)
    {
        var found = new List<JsonObject>();
        void Walk(JsonArray? elements)
        {
            foreach (var element in (elements ?? []).OfType<JsonObject>())
            {
                Walk(element["items"] as JsonArray);
                foreach (var column in (element["columns"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    Walk(column["items"] as JsonArray);
                }

                if (Str(element["type"]) == "ActionSet")
                {
                    found.AddRange((element["actions"] as JsonArray ?? []).OfType<JsonObject>().Where(IsExecute));
                }
            }
        }

        Walk(card["body"] as JsonArray);
        found.AddRange((card["actions"] as JsonArray ?? []).OfType<JsonObject>().Where(IsExecute));
        return found;
    }

    /// <summary>The ids of the card's inputs, wherever they are in its body.</summary>
    public static IReadOnlyList<string> InputIds(JsonObject card)
    {
        var ids = new List<string>();
        void Walk(JsonArray? elements)
        {
            foreach (var element in (elements ?? []).OfType<JsonObject>())
            {
                if (Str(element["type"])?.StartsWith("Input.", StringComparison.Ordinal) == true && Str(element["id"]) is { Length: > 0 } id)
                {
                    ids.Add(id);
                }

                Walk(element["items"] as JsonArray);
                foreach (var column in (element["columns"] as JsonArray ?? []).OfType<JsonObject>())
                {
                    Walk(column["items"] as JsonArray);
                }
            }
        }

        Walk(card["body"] as JsonArray);
        return ids;
    }

    private static bool IsExecute(JsonObject action) => Str(action["type"]) == "Action.Execute";

    /// <summary>A card being shown as a form: counts its Action.Execute buttons as they are written.</summary>
    private sealed class Form
    {
        public int NextAction { get; set; }
    }

    private static void Elements(StringBuilder html, JsonArray? elements, Form? form)
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
                        Elements(html, column?["items"] as JsonArray, form);
                        html.Append("</div>");
                    }

                    html.Append("</div>");
                    break;
                case "Container":
                    html.Append("<div class=\"container\">");
                    Elements(html, element["items"] as JsonArray, form);
                    html.Append("</div>");
                    break;
                case "Image":
                    html.Append("<p class=\"image\">[image: ").Append(E(Str(element["altText"]) ?? Str(element["url"]) ?? "")).Append("]</p>");
                    break;
                case "ActionSet":
                    Actions(html, element["actions"] as JsonArray, form);
                    break;
                case "Input.Text":
                    TextInput(html, element, form);
                    break;
                case "Input.ChoiceSet":
                    ChoiceInput(html, element, form);
                    break;
                default:
                    html.Append("<pre class=\"unknown-element\">").Append(Json(element)).Append("</pre>");
                    break;
            }
        }
    }

    private static void TextInput(StringBuilder html, JsonObject input, Form? form)
    {
        var id = Str(input["id"]) ?? "";
        var control = $"{(form is null ? " disabled" : "")}{(input["isRequired"] is JsonValue r && r.TryGetValue<bool>(out var required) && required ? " required" : "")}"
            + (input["maxLength"] is JsonValue m && m.TryGetValue<int>(out var max) ? $" maxlength=\"{max}\"" : "");
        Label(html, input);
        if (input["isMultiline"] is JsonValue ml && ml.TryGetValue<bool>(out var multiline) && multiline)
        {
            html.Append(CultureInfo.InvariantCulture, $"<textarea class=\"card-input\" id=\"input-{E(id)}\" name=\"{InputPrefix}{E(id)}\" data-input-id=\"{E(id)}\" rows=\"3\"{control}>")
                .Append(E(Str(input["value"]) ?? "")).Append("</textarea>");
        }
        else
        {
            html.Append(CultureInfo.InvariantCulture, $"<input class=\"card-input\" id=\"input-{E(id)}\" name=\"{InputPrefix}{E(id)}\" data-input-id=\"{E(id)}\" value=\"{E(Str(input["value"]) ?? "")}\"{control}>");
        }
    }

    private static void ChoiceInput(StringBuilder html, JsonObject input, Form? form)
    {
        var id = Str(input["id"]) ?? "";
        var value = Str(input["value"]);
        Label(html, input);
        html.Append(CultureInfo.InvariantCulture, $"<select class=\"card-input\" id=\"input-{E(id)}\" name=\"{InputPrefix}{E(id)}\" data-input-id=\"{E(id)}\"{(form is null ? " disabled" : "")}>");
        foreach (var choice in (input["choices"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var choiceValue = Str(choice["value"]) ?? "";
            html.Append(CultureInfo.InvariantCulture, $"<option value=\"{E(choiceValue)}\"{(choiceValue == value ? " selected" : "")}>{E(Str(choice["title"]) ?? choiceValue)}</option>");
        }

        html.Append("</select>");
    }

    private static void Label(StringBuilder html, JsonObject input)
    {
        if (Str(input["label"]) is { Length: > 0 } label)
        {
            html.Append(CultureInfo.InvariantCulture, $"<label class=\"card-label\" for=\"input-{E(Str(input["id"]) ?? "")}\">{E(label)}</label>");
        }
    }

    private static void Actions(StringBuilder html, JsonArray? actions, Form? form)
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
                case "Action.Execute" when form is not null:
                    html.Append(CultureInfo.InvariantCulture, $"<button type=\"submit\" class=\"action execute\" name=\"{ActionField}\" value=\"{form.NextAction++}\">").Append(title).Append("</button>");
                    break;
                case "Action.Submit" or "Action.Execute" or "Action.ShowCard" or "Action.ToggleVisibility":
                    // Shown, not wired: the Sandbox sends only Action.Execute back to the bot (as an invoke).
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
