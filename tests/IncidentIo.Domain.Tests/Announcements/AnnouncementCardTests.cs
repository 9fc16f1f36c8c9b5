using System.Text.Json;
using System.Text.Json.Nodes;
using IncidentIo.Domain.Announcements;
using IncidentIo.Domain.Incidents;

namespace IncidentIo.Domain.Tests.Announcements;

public sealed class AnnouncementCardTests
{
    private static readonly Uri Open = new("https://incidents.example.com/incidents/2f0c1a5e-0000-4000-8000-000000000001");

    private static IncidentIo.Domain.Incidents.Incident NewIncident(string name, string? summary = null) => new()
    {
        OrganizationId = Guid.NewGuid(), Number = 42, Name = name, Summary = summary, Type = "Security",
        Severity = IncidentSeverity.Sev1, Status = IncidentStatus.Fixing,
    };

    private static JsonObject Card(JsonObject activity) => activity["attachments"]![0]!["content"]!.AsObject();

    /// <summary>Every element in the card body, nested ones included.</summary>
    private static IEnumerable<JsonObject> Elements(JsonObject card) =>
        card["body"]!.AsArray().Select(n => n!.AsObject()).SelectMany(e => e["inlines"] is JsonArray inlines ? new[] { e }.Concat(inlines.Select(i => i!.AsObject())) : [e]);

    [Fact]
    public void The_card_is_an_adaptive_card_1_5_with_the_incident_and_an_open_action()
    {
        var activity = AnnouncementCard.ForChannel(NewIncident("Checkout down", "Payments fail"), IncidentUpdateKind.Declared, "Ann Lead", Open);
        Assert.Equal("message", (string?)activity["type"]);
        Assert.Equal(AnnouncementCard.ContentType, (string?)activity["attachments"]![0]!["contentType"]);
        var card = Card(activity);
        Assert.Equal("AdaptiveCard", (string?)card["type"]);
        Assert.Equal("1.5", (string?)card["version"]);
        var texts = Elements(card).Select(e => (string?)e["text"]).Where(t => t is not null).ToList();
        Assert.Contains("INC-42 · Checkout down", texts);
        Assert.Contains("SEV1", texts);
        Assert.Contains("Fixing", texts);
        Assert.Contains("Ann Lead", texts);
        Assert.Contains("Payments fail", texts);
        var action = Assert.Single(card["actions"]!.AsArray())!;
        Assert.Equal("Action.OpenUrl", (string?)action["type"]);
        Assert.Equal("Open", (string?)action["title"]);
        Assert.Equal(Open.AbsoluteUri, (string?)action["url"]);
    }

    [Theory]
    [InlineData("**bold** [click](https://evil.example) _x_")]
    [InlineData("<script>alert(1)</script><b>hi</b>")]
    [InlineData("\"}]},{\"type\":\"Action.OpenUrl\",\"url\":\"https://evil.example\"")]
    [InlineData("line\\\" \u0000 \u001b[31m")]
    public void Hostile_text_stays_inside_text_runs_and_cannot_add_elements_or_actions(string hostile)
    {
        var activity = AnnouncementCard.ForChannel(NewIncident(hostile, hostile), IncidentUpdateKind.Declared, hostile, Open);
        var json = activity.ToJsonString();
        // It parses back into the same shape: one action (ours), the same elements.
        var parsed = JsonNode.Parse(json)!.AsObject();
        var card = Card(parsed);
        Assert.Equal(Open.AbsoluteUri, (string?)Assert.Single(card["actions"]!.AsArray())!["url"]);
        Assert.DoesNotContain("evil.example\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", json, StringComparison.Ordinal);
        // User text only in TextRuns (never read as markdown): the one TextBlock is our own headline.
        var incident = NewIncident(hostile, hostile);
        var block = Assert.Single(Elements(card), e => (string?)e["type"] == "TextBlock");
        Assert.Equal(AnnouncementCard.Headline(incident, IncidentUpdateKind.Declared), (string?)block["text"]);
        Assert.All(Elements(card).Where(e => e["text"] is not null), e => Assert.True((string?)e["type"] is "TextRun" or "TextBlock"));
        Assert.DoesNotContain(Elements(card), e => (string?)e["type"] is "FactSet");
        Assert.All(Elements(card).Select(e => (string?)e["text"]).OfType<string>(), t => Assert.DoesNotContain(t, c => char.IsControl(c) && c is not '\n' and not '\t'));
    }

    [Fact]
    public void Template_functions_and_direction_overrides_are_defused()
    {
        var plain = AnnouncementCard.Plain("Due {{DATE(2017-02-14T06:00:00Z, SHORT)}} \u202Egnp.exe\u202C", 200);
        Assert.DoesNotContain("{{", plain, StringComparison.Ordinal);
        Assert.DoesNotContain("}}", plain, StringComparison.Ordinal);
        Assert.DoesNotContain('\u202E', plain);
        Assert.Contains("DATE(2017-02-14T06:00:00Z, SHORT)", plain, StringComparison.Ordinal);
    }

    [Fact]
    public void Long_text_is_clipped_and_a_huge_summary_keeps_the_card_small()
    {
        var activity = AnnouncementCard.ForChannel(NewIncident(new string('n', 5000), new string('s', 50_000)), IncidentUpdateKind.Declared, new string('l', 5000), Open);
        var texts = Elements(Card(activity)).Select(e => (string?)e["text"]).OfType<string>().ToList();
        Assert.All(texts, t => Assert.True(t.Length <= Incident.SummaryMaxLength + 20, $"{t.Length} characters"));
        Assert.True(activity.ToJsonString().Length < 12_000);
    }

    [Fact]
    public void The_lead_message_says_who_leads_and_carries_the_same_card()
    {
        var activity = AnnouncementCard.ForLead(NewIncident("DB failover"), "Ann Lead", Open);
        var card = Card(activity);
        Assert.Equal("You are the lead of INC-42", (string?)card["body"]![0]!["text"]);
        Assert.Equal(JsonValueKind.String, JsonDocument.Parse(activity.ToJsonString()).RootElement.GetProperty("summary").ValueKind);
    }
}
