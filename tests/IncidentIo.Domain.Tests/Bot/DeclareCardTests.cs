using System.Text.Json.Nodes;
using IncidentIo.Domain.Bot.Declare;
using IncidentIo.Domain.Bot.Inbound;
using IncidentIo.Domain.Incidents;

namespace IncidentIo.Domain.Tests.Bot;

/// <summary>What counts as "declare …" said to the bot, and the form it answers with.</summary>
public sealed class DeclareCardTests
{
    [Theory]
    [InlineData("declare Checkout is down", "Checkout is down")]
    [InlineData("<at>IncidentIo</at> declare   Checkout is down ", "Checkout is down")]
    [InlineData("DECLARE Checkout", "Checkout")]
    [InlineData("declare", "")]
    [InlineData("<at>IncidentIo</at> declare", "")]
    public void Declare_and_what_follows_is_the_name(string text, string name) => Assert.Equal(name, BotMessages.DeclaredName(text));

    [Theory]
    [InlineData("help")]
    [InlineData("declared Checkout")]
    [InlineData("please declare Checkout")]
    [InlineData(null)]
    public void Anything_else_is_not_a_declare(string? text) => Assert.Null(BotMessages.DeclaredName(text));

    [Fact]
    public void The_form_carries_its_key_fills_in_the_name_and_offers_the_people_given_as_leads()
    {
        var key = Guid.NewGuid();
        var lead = Guid.NewGuid();
        var card = DeclareCard.Form(key, new DeclareIncident { Name = "Checkout {{DATE(2026-01-01)}} is down\u202E", LeadUserId = lead }, ["Default", "Security"],
            [new DeclareCard.Person(lead, "Adele Admin"), new DeclareCard.Person(Guid.NewGuid(), "Uma User")]);

        Assert.Equal("1.5", card["version"]!.GetValue<string>());
        var action = Assert.Single(card["actions"]!.AsArray())!;
        Assert.Equal(("Action.Execute", DeclareCard.Verb, key.ToString()), (action["type"]!.GetValue<string>(), action["verb"]!.GetValue<string>(), action["data"]![DeclareCard.KeyField]!.GetValue<string>()));
        // Adaptive Cards' template functions and direction overrides are not carried into the card.
        Assert.Equal("Checkout {\u200B{DATE(2026-01-01)}\u200B} is down", Input(card, DeclareCard.NameInput)["value"]!.GetValue<string>());
        Assert.Equal(lead.ToString(), Input(card, DeclareCard.LeadInput)["value"]!.GetValue<string>());
        Assert.Equal(["Adele Admin", "Uma User"], Input(card, DeclareCard.LeadInput)["choices"]!.AsArray().Select(c => c!["title"]!.GetValue<string>()));
        Assert.Equal(["SEV1", "SEV2", "SEV3", "SEV4"], Input(card, DeclareCard.SeverityInput)["choices"]!.AsArray().Select(c => c!["title"]!.GetValue<string>()));
        Assert.Equal("Sev3", Input(card, DeclareCard.SeverityInput)["value"]!.GetValue<string>());
        Assert.Equal("Default", Input(card, DeclareCard.TypeInput)["value"]!.GetValue<string>());
    }

    [Fact]
    public void Errors_are_shown_under_their_fields_as_plain_text_runs()
    {
        var card = DeclareCard.Form(Guid.NewGuid(), new DeclareIncident(), ["Default"], [],
            new Dictionary<string, string> { ["Name"] = "Give the incident a name.", [""] = "You are not an active member of this organisation." });

        var body = card["body"]!.AsArray().Select(e => e!.AsObject()).ToList();
        var nameAt = body.FindIndex(e => e["id"]?.GetValue<string>() == DeclareCard.NameInput);
        Assert.Equal("Give the incident a name.", body[nameAt + 1]["inlines"]![0]!["text"]!.GetValue<string>());
        Assert.Equal("RichTextBlock", body[1]["type"]!.GetValue<string>());
        Assert.Equal("You are not an active member of this organisation.", body[1]["inlines"]![0]!["text"]!.GetValue<string>());
    }

    private static JsonObject Input(JsonObject card, string id) =>
        card["body"]!.AsArray().OfType<JsonObject>().Single(e => e["id"]?.GetValue<string>() == id);
}
