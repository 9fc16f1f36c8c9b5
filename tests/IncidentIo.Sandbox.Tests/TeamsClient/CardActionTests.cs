using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.TeamsClient;
using IncidentIo.Sandbox.Tests.BotFramework;

namespace IncidentIo.Sandbox.Tests.TeamsClient;

/// <summary>
/// Talking to a bot in a channel and pressing its cards' buttons in the Teams view: a post that
/// @mentions the bot reaches it as Teams sends it, and an Action.Execute becomes a signed
/// adaptiveCard/action invoke whose answer Teams shows (a card in place of the old one, for the
/// person who pressed it, or a message).
/// </summary>
public sealed class CardActionTests(TeamsBotFixture fixture) : IClassFixture<TeamsBotFixture>
{
    private static readonly Guid Contoso = DemoSeed.ContosoTenantId;

    private string Thread => fixture.Sandbox.State.Teams.FindTeam(Contoso, TeamsSeed.OperationsTeamId)!.GeneralChannelId;

    private string ChannelUrl => TeamsClientUi.ChannelUrl(TeamsSeed.OperationsTeamId, Thread);

    [Fact]
    public async Task A_channel_post_mentioning_the_bot_reaches_it_as_teams_sends_it_and_shows_as_the_persons_post()
    {
        await InstallInOperationsAsync();
        using var client = TeamsClientPageTests.ViewClient(fixture.Sandbox.Origin);
        var cookie = await TeamsClientPageTests.SignInAsync(client, "user@contoso.example");
        var text = $"declare Checkout is down {Guid.NewGuid()}";

        using var sent = await TeamsClientPageTests.SendAsync(client, $"{ChannelUrl}/messages", cookie, new FormUrlEncodedContent([new("bot", fixture.BotId), new("text", text)]));
        var page = await TeamsClientPageTests.GetAsync(client, ChannelUrl, cookie);

        Assert.Equal(HttpStatusCode.Redirect, sent.StatusCode);
        var message = fixture.Endpoint.Received.Last(a => a["text"]?.GetValue<string>() == $"<at>IncidentIo</at> {text}");
        Assert.Equal("message", message["type"]!.GetValue<string>());
        Assert.Equal($"{Thread};messageid={message["id"]!.GetValue<string>()}", message["conversation"]!["id"]!.GetValue<string>());
        Assert.Equal("channel", message["conversation"]!["conversationType"]!.GetValue<string>());
        Assert.Equal((Thread, Thread), (message["channelData"]!["team"]!["id"]!.GetValue<string>(), message["channelData"]!["channel"]!["id"]!.GetValue<string>()));
        var mention = message["entities"]![0]!;
        Assert.Equal(("mention", $"28:{fixture.BotId}", "<at>IncidentIo</at>"), (mention["type"]!.GetValue<string>(), mention["mentioned"]!["id"]!.GetValue<string>(), mention["text"]!.GetValue<string>()));
        Assert.Equal(DemoSeed.UserId.ToString(), message["from"]!["aadObjectId"]!.GetValue<string>());
        Assert.Contains($"@IncidentIo {text}", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Someone_outside_the_team_cannot_post_in_its_channel_and_the_bot_hears_nothing()
    {
        await InstallInOperationsAsync();
        using var client = TeamsClientPageTests.ViewClient(fixture.Sandbox.Origin);
        var cookie = await TeamsClientPageTests.SignInAsync(client, "loner1@contoso.example");
        var received = fixture.Endpoint.Received.Count;

        using var sent = await TeamsClientPageTests.SendAsync(client, $"{ChannelUrl}/messages", cookie, new FormUrlEncodedContent([new("bot", fixture.BotId), new("text", "declare x")]));

        Assert.Equal(HttpStatusCode.NotFound, sent.StatusCode);
        Assert.Equal(received, fixture.Endpoint.Received.Count);
    }

    [Fact]
    public async Task Pressing_execute_sends_an_invoke_with_the_inputs_and_the_answered_card_replaces_the_card_for_that_person()
    {
        var activityId = await PostCardInOperationsAsync();
        fixture.Endpoint.InvokeAnswer = _ => new JsonObject
        {
            ["statusCode"] = 200,
            ["type"] = AdaptiveCardHtml.AdaptiveCardContentType,
            ["value"] = new JsonObject { ["type"] = "AdaptiveCard", ["version"] = "1.5", ["body"] = new JsonArray(new JsonObject { ["type"] = "TextBlock", ["text"] = "Done, <b>Uma</b>" }) },
        };
        using var client = TeamsClientPageTests.ViewClient(fixture.Sandbox.Origin);
        var uma = await TeamsClientPageTests.SignInAsync(client, "user@contoso.example");
        var adele = await TeamsClientPageTests.SignInAsync(client, "admin@contoso.example");
        var before = await TeamsClientPageTests.GetAsync(client, ChannelUrl, uma);
        Assert.Contains($"action=\"{TeamsClientUi.ExecuteUrl(activityId)}\"", before, StringComparison.Ordinal);

        using var pressed = await TeamsClientPageTests.SendAsync(client, TeamsClientUi.ExecuteUrl(activityId), uma,
            new FormUrlEncodedContent([new("action", "0"), new("input.name", "Checkout <b>down</b>"), new("input.severity", "Sev2")]));

        Assert.Equal(HttpStatusCode.Redirect, pressed.StatusCode);
        var invoke = fixture.Endpoint.Last("invoke");
        Assert.Equal(("adaptiveCard/action", activityId), (invoke["name"]!.GetValue<string>(), invoke["replyToId"]!.GetValue<string>()));
        Assert.Equal(Thread, invoke["conversation"]!["id"]!.GetValue<string>());
        Assert.Equal(DemoSeed.UserId.ToString(), invoke["from"]!["aadObjectId"]!.GetValue<string>());
        var action = invoke["value"]!["action"]!;
        Assert.Equal(("Action.Execute", "go"), (action["type"]!.GetValue<string>(), action["verb"]!.GetValue<string>()));
        Assert.Equal("""{"key":"k-1","name":"Checkout <b>down</b>","severity":"Sev2"}""", action["data"]!.ToJsonString(new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        var umaSees = await TeamsClientPageTests.GetAsync(client, ChannelUrl, uma);
        Assert.Contains("Done, &lt;b&gt;Uma&lt;/b&gt;", umaSees, StringComparison.Ordinal);
        Assert.DoesNotContain(TeamsClientUi.ExecuteUrl(activityId), umaSees, StringComparison.Ordinal);
        // Adele did not press it: she still has the form.
        Assert.Contains(TeamsClientUi.ExecuteUrl(activityId), await TeamsClientPageTests.GetAsync(client, ChannelUrl, adele), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_message_answer_is_shown_and_the_card_stays()
    {
        var activityId = await PostCardInOperationsAsync();
        fixture.Endpoint.InvokeAnswer = _ => new JsonObject { ["statusCode"] = 200, ["type"] = "application/vnd.microsoft.activity.message", ["value"] = "You may not <do> that." };
        using var client = TeamsClientPageTests.ViewClient(fixture.Sandbox.Origin);
        var uma = await TeamsClientPageTests.SignInAsync(client, "user@contoso.example");

        using var pressed = await TeamsClientPageTests.SendAsync(client, TeamsClientUi.ExecuteUrl(activityId), uma, new FormUrlEncodedContent([new("action", "0")]));
        var page = await TeamsClientPageTests.GetAsync(client, pressed.Headers.Location!.OriginalString, uma);

        Assert.Contains("You may not &lt;do&gt; that.", page, StringComparison.Ordinal);
        Assert.Contains(TeamsClientUi.ExecuteUrl(activityId), page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_card_in_someone_elses_chat_cannot_be_pressed_and_the_bot_hears_nothing()
    {
        fixture.Sandbox.State.Teams.InstallForUser(Contoso, DemoSeed.AdminId, fixture.App.Id, awaitingTeamsClient: false);
        await fixture.Bot.Relay.WhenIdleAsync();
        var chat = fixture.Bot.Conversations.GetOrCreate(fixture.BotId, Contoso, DemoSeed.AdminId).Id;
        var activityId = await PostCardAsync(chat);
        using var client = TeamsClientPageTests.ViewClient(fixture.Sandbox.Origin);
        var uma = await TeamsClientPageTests.SignInAsync(client, "user@contoso.example");
        var invokes = fixture.Endpoint.Received.Count(a => a["type"]!.GetValue<string>() == "invoke");

        using var pressed = await TeamsClientPageTests.SendAsync(client, TeamsClientUi.ExecuteUrl(activityId), uma, new FormUrlEncodedContent([new("action", "0")]));

        Assert.Equal(HttpStatusCode.NotFound, pressed.StatusCode);
        Assert.Equal(invokes, fixture.Endpoint.Received.Count(a => a["type"]!.GetValue<string>() == "invoke"));
    }

    private async Task InstallInOperationsAsync()
    {
        if (!fixture.Bot.Directory.IsInstalledInTeam(fixture.BotId, Thread))
        {
            fixture.Sandbox.State.Teams.InstallInTeam(Contoso, TeamsSeed.OperationsTeamId, fixture.App.Id);
            await fixture.Bot.Relay.WhenIdleAsync();
        }
    }

    private async Task<string> PostCardInOperationsAsync()
    {
        await InstallInOperationsAsync();
        return await PostCardAsync(Thread);
    }

    /// <summary>The bot posts a small form through the connector: a text input, a choice and one Action.Execute.</summary>
    private async Task<string> PostCardAsync(string conversationId)
    {
        using var connector = await fixture.ConnectorAsync();
        var card = new JsonObject
        {
            ["type"] = "AdaptiveCard",
            ["version"] = "1.5",
            ["body"] = new JsonArray(
                new JsonObject { ["type"] = "Input.Text", ["id"] = "name", ["label"] = "Name", ["value"] = "x" },
                new JsonObject
                {
                    ["type"] = "Input.ChoiceSet", ["id"] = "severity", ["label"] = "Severity", ["value"] = "Sev3",
                    ["choices"] = new JsonArray(new JsonObject { ["title"] = "SEV2", ["value"] = "Sev2" }, new JsonObject { ["title"] = "SEV3", ["value"] = "Sev3" }),
                }),
            ["actions"] = new JsonArray(new JsonObject { ["type"] = "Action.Execute", ["title"] = "Go", ["verb"] = "go", ["data"] = new JsonObject { ["key"] = "k-1" } }),
        };
        var activity = new JsonObject
        {
            ["type"] = "message",
            ["attachments"] = new JsonArray(new JsonObject { ["contentType"] = AdaptiveCardHtml.AdaptiveCardContentType, ["content"] = card }),
        };
        using var response = await connector.PostAsJsonAsync($"v3/conversations/{Uri.EscapeDataString(conversationId)}/activities", activity);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
    }
}
