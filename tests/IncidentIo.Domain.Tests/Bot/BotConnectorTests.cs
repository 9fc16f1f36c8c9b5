using System.Net;
using System.Text.Json.Nodes;
using IncidentIo.Domain.Bot.Connector;
using IncidentIo.Sandbox.State;

namespace IncidentIo.Domain.Tests.Bot;

/// <summary>The connector's calls and errors as Teams answers them (the Sandbox's connector, over https, real MSAL).</summary>
public sealed class BotConnectorTests
{
    private static JsonObject Message(string text) => new() { ["type"] = "message", ["text"] = text };

    [Fact]
    public async Task A_user_with_our_app_gets_the_same_personal_conversation_every_time_and_a_message_reaches_it()
    {
        await using var harness = await BotConnectorHarness.StartAsync();

        var first = await harness.Connector.CreatePersonalConversationAsync(harness.ServiceUrl, BotConnectorHarness.Contoso, DemoSeed.UserId);
        var second = await harness.Connector.CreatePersonalConversationAsync(harness.ServiceUrl, BotConnectorHarness.Contoso, DemoSeed.UserId);
        var activityId = await harness.Connector.SendAsync(harness.ServiceUrl, first, Message("Incident #12 was declared"));

        Assert.StartsWith("a:", first, StringComparison.Ordinal);
        Assert.Equal(first, second);
        var sent = Assert.Single(harness.Sandbox.Bot.Activities.For(first));
        Assert.Equal(activityId, sent.Id);
        Assert.Equal("Incident #12 was declared", sent.Text);
        Assert.Equal(DemoSeed.UserId, sent.UserId);
    }

    [Fact]
    public async Task A_user_without_our_app_is_refused_at_once_and_not_as_transient()
    {
        await using var harness = await BotConnectorHarness.StartAsync();

        var error = await Assert.ThrowsAsync<BotConnectorException>(() =>
            harness.Connector.CreatePersonalConversationAsync(harness.ServiceUrl, BotConnectorHarness.Contoso, DemoSeed.NoTeamUser1Id));

        Assert.Equal(HttpStatusCode.Forbidden, error.Status);
        Assert.Equal("ForbiddenOperationException", error.Code);
        Assert.Equal("Bot is not installed in user's personal scope", error.ConnectorMessage);
        Assert.False(error.IsTransient);
        Assert.False(string.IsNullOrEmpty(error.CorrelationId));
        Assert.Null(error.RetryAfter);
    }

    [Fact]
    public async Task A_message_to_a_team_channel_with_our_app_is_delivered_and_one_to_a_team_without_it_is_refused()
    {
        await using var harness = await BotConnectorHarness.StartAsync();
        var channel = harness.TeamWithApp.GeneralChannelId;

        var activityId = await harness.Connector.SendAsync(harness.ServiceUrl, channel, Message("Sev 1: checkout is down"));
        var refused = await Assert.ThrowsAsync<BotConnectorException>(() =>
            harness.Connector.SendAsync(harness.ServiceUrl, harness.TeamWithoutApp.GeneralChannelId, Message("not for Finance")));

        var sent = Assert.Single(harness.Sandbox.Bot.Activities.For(channel));
        Assert.Equal((activityId, "Sev 1: checkout is down", harness.TeamWithApp.GeneralChannelId), (sent.Id, sent.Text, sent.TeamId));
        Assert.Equal((HttpStatusCode.Forbidden, "BotNotInConversationRoster"), (refused.Status, refused.Code));
        Assert.False(refused.IsTransient);
        Assert.Empty(harness.Sandbox.Bot.Activities.For(harness.TeamWithoutApp.GeneralChannelId));
    }

    [Fact]
    public async Task A_service_url_without_its_trailing_slash_reaches_the_same_connector()
    {
        await using var harness = await BotConnectorHarness.StartAsync();
        var withoutSlash = new Uri(harness.Sandbox.Bot.ServiceUrl.TrimEnd('/'));

        await harness.Connector.SendAsync(withoutSlash, harness.TeamWithApp.GeneralChannelId, Message("hello"));

        Assert.Single(harness.Sandbox.Bot.Activities.For(harness.TeamWithApp.GeneralChannelId));
    }

    [Fact]
    public async Task An_unknown_conversation_is_not_found()
    {
        await using var harness = await BotConnectorHarness.StartAsync();

        var error = await Assert.ThrowsAsync<BotConnectorException>(() =>
            harness.Connector.SendAsync(harness.ServiceUrl, "19:no-such-thread@thread.tacv2", Message("anyone?")));

        Assert.Equal((HttpStatusCode.NotFound, "ConversationNotFound", false), (error.Status, error.Code, error.IsTransient));
    }

    [Fact]
    public async Task A_user_who_removed_our_app_blocks_writes_with_teams_209_shape()
    {
        await using var harness = await BotConnectorHarness.StartAsync();
        var conversation = await harness.Connector.CreatePersonalConversationAsync(harness.ServiceUrl, BotConnectorHarness.Contoso, DemoSeed.UserId);
        var teams = harness.Sandbox.State.Teams;
        var installation = teams.Installations(InstallationScope.User, DemoSeed.UserId).Single();
        teams.Uninstall(InstallationScope.User, DemoSeed.UserId, installation.Id);
        // Nor in a team of our bot's: Teams lets a bot message members of its teams without a personal install.
        teams.RemoveMember(harness.TeamWithApp.Id, DemoSeed.UserId);

        var error = await Assert.ThrowsAsync<BotConnectorException>(() => harness.Connector.SendAsync(harness.ServiceUrl, conversation, Message("still there?")));

        Assert.Equal((HttpStatusCode.Forbidden, "MessageWritesBlocked", "Thread is blocked from message writes."), (error.Status, error.Code, error.ConnectorMessage));
        Assert.False(error.IsTransient);
    }

    [Fact]
    public async Task A_wrong_bot_secret_fails_with_entra_s_refusal_and_what_to_check()
    {
        await using var harness = await BotConnectorHarness.StartAsync(new Dictionary<string, string?> { ["Bot:ClientSecret"] = "not-the-secret" });

        var error = await Assert.ThrowsAsync<BotConnectorException>(() =>
            harness.Connector.SendAsync(harness.ServiceUrl, harness.TeamWithApp.GeneralChannelId, Message("hello")));

        Assert.Equal(HttpStatusCode.Unauthorized, error.Status);
        Assert.Equal("invalid_client", error.Code);
        Assert.False(error.IsTransient);
        Assert.Contains("Bot:ClientSecret", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("Entra ID refused the bot's connector token", error.Message, StringComparison.Ordinal);
        Assert.Empty(harness.Sandbox.Bot.Activities.All());
    }
}
