using System.Text;
using System.Text.Json.Nodes;
using IncidentIo.Domain.Incidents;

namespace IncidentIo.Domain.Announcements;

/// <summary>
/// The message the bot posts about an incident: an Adaptive Card (1.5) written as JSON by hand
/// (the AdaptiveCards package cannot be restored here). Text people typed goes only into
/// <c>TextRun</c>s, which Adaptive Cards never read as markdown (unlike <c>TextBlock</c> and
/// <c>FactSet</c>), after <see cref="Plain"/> has removed what could still be interpreted;
/// the JSON writer escapes the rest.
/// </summary>
public static class AnnouncementCard
{
    public const string ContentType = "application/vnd.microsoft.card.adaptive";

    /// <summary>The activity for a channel post about <paramref name="update"/>.</summary>
    public static JsonObject ForChannel(Incident incident, IncidentUpdateKind update, string leadName, Uri openUrl) =>
        Activity(incident, Headline(incident, update), leadName, openUrl);

    /// <summary>The activity for the DM telling the lead they lead the incident.</summary>
    public static JsonObject ForLead(Incident incident, string leadName, Uri openUrl) =>
        Activity(incident, $"You are the lead of {incident.Reference}", leadName, openUrl);

    public static string Headline(Incident incident, IncidentUpdateKind update) => update switch
    {
        IncidentUpdateKind.Declared => $"{IncidentText.Label(incident.Severity)} incident declared",
        IncidentUpdateKind.SeverityChanged => $"Severity is now {IncidentText.Label(incident.Severity)}",
        IncidentUpdateKind.StatusChanged => $"Status is now {incident.Status}",
        IncidentUpdateKind.LeadChanged => "New lead",
        _ => "Incident resolved",
    };

    private static JsonObject Activity(Incident incident, string headline, string leadName, Uri openUrl)
    {
        var body = new JsonArray
        {
            new JsonObject { ["type"] = "TextBlock", ["text"] = headline, ["weight"] = "Bolder", ["color"] = ColorOf(incident), ["wrap"] = true },
            Rich(Run($"{incident.Reference} · {Plain(incident.Name, Incident.NameMaxLength)}", weight: "Bolder", size: "Large")),
            Rich(Run("Severity: ", weight: "Bolder"), Run(IncidentText.Label(incident.Severity))),
            Rich(Run("Status: ", weight: "Bolder"), Run(incident.Status.ToString())),
            Rich(Run("Type: ", weight: "Bolder"), Run(Plain(incident.Type, Incident.TypeMaxLength))),
            Rich(Run("Lead: ", weight: "Bolder"), Run(Plain(leadName, 256))),
        };
        if (incident.IsTest)
        {
            body.Add(Rich(Run("Test incident", italic: true)));
        }

        if (!string.IsNullOrWhiteSpace(incident.Summary))
        {
            body.Add(Rich(Run(Plain(incident.Summary, Incident.SummaryMaxLength))));
        }

        var card = new JsonObject
        {
            ["type"] = "AdaptiveCard",
            ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
            ["version"] = "1.5",
            ["body"] = body,
            ["actions"] = new JsonArray
            {
                new JsonObject { ["type"] = "Action.OpenUrl", ["title"] = "Open", ["url"] = openUrl.AbsoluteUri },
            },
        };
        return new JsonObject
        {
            ["type"] = "message",
            // The notification's text: shown as plain text by Teams.
            ["summary"] = $"{incident.Reference}: {Plain(incident.Name, 100)}",
            ["attachments"] = new JsonArray { new JsonObject { ["contentType"] = ContentType, ["content"] = card } },
        };
    }

    internal static JsonObject Rich(params JsonObject[] runs) =>
        new() { ["type"] = "RichTextBlock", ["inlines"] = new JsonArray(runs.Select(JsonNode? (r) => r).ToArray()) };

    internal static JsonObject Run(string text, string? weight = null, string? size = null, bool italic = false)
    {
        var run = new JsonObject { ["type"] = "TextRun", ["text"] = text };
        if (weight is not null)
        {
            run["weight"] = weight;
        }

        if (size is not null)
        {
            run["size"] = size;
        }

        if (italic)
        {
            run["italic"] = true;
        }

        return run;
    }

    private static string ColorOf(Incident incident) =>
        incident.Status == IncidentStatus.Resolved ? "Good" : incident.Severity <= IncidentSeverity.Sev2 ? "Attention" : "Warning";

    /// <summary>
    /// Text shown as typed: control and direction-override characters removed (they could hide or
    /// reorder what is shown), <c>{{</c> broken up (Adaptive Cards read <c>{{DATE(…)}}</c> as a
    /// function in text runs too), and clipped to <paramref name="maxLength"/>.
    /// </summary>
    public static string Plain(string? text, int maxLength)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "";
        }

        var builder = new StringBuilder(Math.Min(text.Length, maxLength + 8));
        foreach (var c in text)
        {
            if (c is '\n' or '\t' || (!char.IsControl(c) && !IsDirectionControl(c)))
            {
                builder.Append(c);
            }
        }

        builder.Replace("{{", "{\u200B{").Replace("}}", "}\u200B}");
        return ClippedText.Clip(builder.ToString(), maxLength)!;
    }

    private static bool IsDirectionControl(char c) => c is (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069') or '\u200E' or '\u200F' or '\u061C';
}
