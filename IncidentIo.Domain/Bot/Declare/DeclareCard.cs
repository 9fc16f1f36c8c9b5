using System.Text.Json.Nodes;
using IncidentIo.Domain.Incidents;
using static IncidentIo.Domain.Announcements.AnnouncementCard;

namespace IncidentIo.Domain.Bot.Declare;

/// <summary>
/// The bot's declare form and its answers, as Adaptive Cards 1.5 with a Universal Action
/// (<c>Action.Execute</c>): Teams sends the inputs back to our bot as an <c>adaptiveCard/action</c>
/// invoke and shows the card the bot answers with in place of the form.
/// https://learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/universal-actions-for-adaptive-cards/work-with-universal-actions-for-adaptive-cards
/// What people typed is shown only in <c>TextRun</c>s and input values, never read as markdown.
/// </summary>
public static class DeclareCard
{
    public const string Verb = "declareIncident";
    public const string KeyField = "declareKey";
    public const string NameInput = "name";
    public const string SeverityInput = "severity";
    public const string TypeInput = "type";
    public const string LeadInput = "lead";
    public const string SummaryInput = "summary";

    /// <summary>Leads offered in the card; the tab's directory search finds anyone else.</summary>
    public const int MaxLeadChoices = 100;

    public sealed record Person(Guid Id, string Name);

    /// <summary>The message holding the form.</summary>
    public static JsonObject FormMessage(JsonObject card) => new()
    {
        ["type"] = "message",
        ["summary"] = "Declare an incident",
        ["attachments"] = new JsonArray { new JsonObject { ["contentType"] = ContentType, ["content"] = card } },
    };

    /// <summary>The form: the values given (a name from "declare …", or what was submitted), and what was wrong with them.</summary>
    public static JsonObject Form(Guid key, DeclareIncident values, IReadOnlyList<string> types, IReadOnlyList<Person> leads, IReadOnlyDictionary<string, string>? errors = null)
    {
        var body = new JsonArray
        {
            new JsonObject { ["type"] = "TextBlock", ["text"] = "Declare an incident", ["weight"] = "Bolder", ["size"] = "Medium", ["wrap"] = true },
        };
        if (errors?.GetValueOrDefault("") is { } general)
        {
            body.Add(Error(general));
        }

        body.Add(new JsonObject
        {
            ["type"] = "Input.Text", ["id"] = NameInput, ["label"] = "Name", ["isRequired"] = true, ["maxLength"] = Incident.NameMaxLength,
            ["errorMessage"] = "Give the incident a name.", ["value"] = Plain(values.Name, Incident.NameMaxLength),
        });
        AddError(body, errors, nameof(DeclareIncident.Name));
        body.Add(Choices(SeverityInput, "Severity", values.Severity.ToString(),
            Enum.GetValues<IncidentSeverity>().Select(s => (s.ToString(), IncidentText.Label(s)))));
        AddError(body, errors, nameof(DeclareIncident.Severity));
        body.Add(Choices(TypeInput, "Type", values.Type is { Length: > 0 } type ? type : types.Count > 0 ? types[0] : null, types.Select(t => (t, t))));
        AddError(body, errors, nameof(DeclareIncident.Type));
        body.Add(Choices(LeadInput, "Lead", values.LeadUserId == Guid.Empty ? null : values.LeadUserId.ToString(),
            leads.Select(p => (p.Id.ToString(), Plain(p.Name, 256)))));
        AddError(body, errors, nameof(DeclareIncident.LeadUserId));
        body.Add(new JsonObject
        {
            ["type"] = "Input.Text", ["id"] = SummaryInput, ["label"] = "Summary", ["isMultiline"] = true, ["maxLength"] = Incident.SummaryMaxLength,
            ["value"] = Plain(values.Summary, Incident.SummaryMaxLength),
        });
        AddError(body, errors, nameof(DeclareIncident.Summary));

        return Card(body, new JsonArray
        {
            new JsonObject
            {
                ["type"] = "Action.Execute", ["title"] = "Declare", ["verb"] = Verb, ["style"] = "destructive",
                ["data"] = new JsonObject { [KeyField] = key.ToString() },
            },
        });
    }

    /// <summary>What replaces the form once the incident is declared (the same for a repeated submit).</summary>
    public static JsonObject Declared(Incident incident, string leadName, string declaredBy, Uri openUrl) => Card(
        new JsonArray
        {
            new JsonObject { ["type"] = "TextBlock", ["text"] = $"{incident.Reference} declared", ["weight"] = "Bolder", ["color"] = "Attention", ["wrap"] = true },
            Rich(Run($"{incident.Reference} · {Plain(incident.Name, Incident.NameMaxLength)}", weight: "Bolder", size: "Large")),
            Rich(Run("Severity: ", weight: "Bolder"), Run(IncidentText.Label(incident.Severity))),
            Rich(Run("Type: ", weight: "Bolder"), Run(Plain(incident.Type, Incident.TypeMaxLength))),
            Rich(Run("Lead: ", weight: "Bolder"), Run(Plain(leadName, 256))),
            Rich(Run("Declared by ", weight: "Bolder"), Run(Plain(declaredBy, 256))),
        },
        new JsonArray { new JsonObject { ["type"] = "Action.OpenUrl", ["title"] = "Open", ["url"] = openUrl.AbsoluteUri } });

    private static JsonObject Card(JsonArray body, JsonArray actions) => new()
    {
        ["type"] = "AdaptiveCard",
        ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
        ["version"] = "1.5",
        ["body"] = body,
        ["actions"] = actions,
    };

    private static JsonObject Choices(string id, string label, string? value, IEnumerable<(string Value, string Title)> choices)
    {
        var input = new JsonObject
        {
            ["type"] = "Input.ChoiceSet", ["id"] = id, ["label"] = label, ["style"] = "compact", ["isRequired"] = true,
            ["choices"] = new JsonArray([.. choices.Select(c => (JsonNode)new JsonObject { ["title"] = c.Title, ["value"] = c.Value })]),
        };
        if (value is not null)
        {
            input["value"] = value;
        }

        return input;
    }

    private static void AddError(JsonArray body, IReadOnlyDictionary<string, string>? errors, string field)
    {
        if (errors?.GetValueOrDefault(field) is { } message)
        {
            body.Add(Error(message));
        }
    }

    // Our own messages (no one's input): a TextRun all the same, so nothing in them is markdown.
    private static JsonObject Error(string message)
    {
        var run = Run(message);
        run["color"] = "Attention";
        return Rich(run);
    }
}
