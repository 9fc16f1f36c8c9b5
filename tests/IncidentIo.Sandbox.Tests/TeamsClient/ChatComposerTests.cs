using System.Net;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.TeamsClient;
using IncidentIo.Sandbox.Tests.BotFramework;

namespace IncidentIo.Sandbox.Tests.TeamsClient;

/// <summary>The chat composer: what the user types reaches the bot as a signed message activity.</summary>
public sealed class ChatComposerTests(TeamsBotFixture fixture) : IClassFixture<TeamsBotFixture>
{
    [Fact]
    public async Task A_message_typed_in_the_chat_reaches_the_bot_signed_and_shows_in_the_chat()
    {
        fixture.Sandbox.State.Teams.InstallForUser(DemoSeed.ContosoTenantId, DemoSeed.UserId, fixture.App.Id, awaitingTeamsClient: false);
        await fixture.Bot.Relay.WhenIdleAsync();
        using var client = TeamsClientPageTests.ViewClient(fixture.Sandbox.Origin);
        var cookie = await TeamsClientPageTests.SignInAsync(client, "user@contoso.example");
        var text = $"status please <b>{Guid.NewGuid()}</b>";

        using var sent = await TeamsClientPageTests.SendAsync(client, TeamsClientUi.ChatUrl(fixture.BotId), cookie, new FormUrlEncodedContent([new("text", text)]));
        var chat = await TeamsClientPageTests.GetAsync(client, TeamsClientUi.ChatUrl(fixture.BotId), cookie);

        Assert.Equal(HttpStatusCode.Redirect, sent.StatusCode);
        var message = fixture.Endpoint.Received.Last(a => a["type"]!.GetValue<string>() == "message" && a["text"]?.GetValue<string>() == text);
        Assert.Equal("personal", message["conversation"]!["conversationType"]!.GetValue<string>());
        Assert.Equal(DemoSeed.UserId.ToString(), message["from"]!["aadObjectId"]!.GetValue<string>());
        Assert.Equal($"28:{fixture.BotId}", message["recipient"]!["id"]!.GetValue<string>());
        Assert.Equal(fixture.Bot.Conversations.GetOrCreate(fixture.BotId, DemoSeed.ContosoTenantId, DemoSeed.UserId).Id, message["conversation"]!["id"]!.GetValue<string>());
        Assert.Contains(System.Net.WebUtility.HtmlEncode(text), chat, StringComparison.Ordinal);
        Assert.Contains("data-testid=\"own-message\"", chat, StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_the_bot_refuses_the_chat_says_so()
    {
        fixture.Sandbox.State.Teams.InstallForUser(DemoSeed.ContosoTenantId, DemoSeed.AdminId, fixture.App.Id, awaitingTeamsClient: false);
        await fixture.Bot.Relay.WhenIdleAsync();
        using var client = TeamsClientPageTests.ViewClient(fixture.Sandbox.Origin);
        var cookie = await TeamsClientPageTests.SignInAsync(client, "admin@contoso.example");
        fixture.Endpoint.FailNext(1, 400);

        using var response = await TeamsClientPageTests.SendAsync(client, TeamsClientUi.ChatUrl(fixture.BotId), cookie, new FormUrlEncodedContent([new("text", "hello")]));
        var html = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("The bot did not accept the message (HTTP 400).", html, StringComparison.Ordinal);
        Assert.Contains("not delivered", html, StringComparison.Ordinal);
    }
}
