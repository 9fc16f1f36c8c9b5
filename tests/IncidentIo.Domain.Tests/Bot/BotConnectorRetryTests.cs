using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using IncidentIo.Domain.Bot;
using IncidentIo.Domain.Bot.Connector;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using IncidentIo.Domain.Hosting;

namespace IncidentIo.Domain.Tests.Bot;

/// <summary>What the connector tries again (429, 412, 502/503/504), what it does not, and team reads.</summary>
public sealed class BotConnectorRetryTests
{
    private static readonly Dictionary<string, string?> QuickRetries = new()
    {
        ["Bot:Connector:FirstRetryDelay"] = "00:00:00.050",
        ["Bot:Connector:MaxRetries"] = "3",
    };

    private static JsonObject Message(string text) => new() { ["type"] = "message", ["text"] = text };

    [Theory]
    [InlineData(503)]
    [InlineData(502)]
    [InlineData(504)]
    [InlineData(412)]
    public async Task A_transient_failure_is_tried_again_and_the_message_is_delivered_once(int status)
    {
        await using var harness = await BotConnectorHarness.StartAsync(QuickRetries);
        var channel = harness.TeamWithApp.GeneralChannelId;
        harness.Sandbox.Bot.FailNextConnectorCalls(2, status);

        var activityId = await harness.Connector.SendAsync(harness.ServiceUrl, channel, Message("retried"));

        Assert.Equal(activityId, Assert.Single(harness.Sandbox.Bot.Activities.For(channel)).Id);
        Assert.Equal([(HttpStatusCode)status, (HttpStatusCode)status, HttpStatusCode.Created], harness.ConnectorAnswers.Select(a => a.Status));
    }

    [Fact]
    public async Task A_429_is_tried_again_after_its_retry_after()
    {
        await using var harness = await BotConnectorHarness.StartAsync(QuickRetries);
        harness.Sandbox.Bot.FailNextConnectorCalls(1, 429, TimeSpan.FromSeconds(1));
        var clock = Stopwatch.StartNew();

        var conversation = await harness.Connector.CreatePersonalConversationAsync(harness.ServiceUrl, BotConnectorHarness.Contoso, IncidentIo.Sandbox.State.DemoSeed.UserId);

        Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.95), $"retried after {clock.Elapsed}, not after Retry-After");
        Assert.StartsWith("a:", conversation, StringComparison.Ordinal);
        Assert.Equal([HttpStatusCode.TooManyRequests, HttpStatusCode.Created], harness.ConnectorAnswers.Select(a => a.Status));
    }

    [Fact]
    public async Task Teams_own_throttling_is_waited_out_when_our_pace_is_set_above_its_limits()
    {
        // Our limits raised far above Teams': the Sandbox (enforcing the published limits) throttles, and the retries deliver.
        await using var harness = await BotConnectorHarness.StartAsync(new Dictionary<string, string?>(QuickRetries)
        {
            ["Bot:Connector:SendsPerThreadPerSecond"] = "100",
            ["Bot:Connector:SendsPerThreadPer2Seconds"] = "100",
            ["Bot:Connector:SendsPerThreadPer30Seconds"] = "1000",
        }, enforceRateLimits: true);
        var channel = harness.TeamWithApp.GeneralChannelId;

        var sends = Enumerable.Range(0, 12).Select(i => harness.Connector.SendAsync(harness.ServiceUrl, channel, Message($"{i}"))).ToList();
        await Task.WhenAll(sends);

        Assert.Equal(Enumerable.Range(0, 12).Select(i => $"{i}"), harness.Sandbox.Bot.Activities.For(channel).Select(a => a.Text));
        Assert.True(harness.ConnectorAnswersWith(HttpStatusCode.TooManyRequests) > 0, "the Sandbox never throttled: the test proves nothing");
    }

    [Fact]
    public async Task When_retries_run_out_the_failure_is_thrown_as_transient()
    {
        await using var harness = await BotConnectorHarness.StartAsync(QuickRetries);
        harness.Sandbox.Bot.FailNextConnectorCalls(10, 503);

        var error = await Assert.ThrowsAsync<BotConnectorException>(() =>
            harness.Connector.SendAsync(harness.ServiceUrl, harness.TeamWithApp.GeneralChannelId, Message("lost")));

        Assert.Equal((HttpStatusCode.ServiceUnavailable, "ServiceError", true), (error.Status, error.Code, error.IsTransient));
        Assert.False(string.IsNullOrEmpty(error.CorrelationId));
        Assert.Equal(4, harness.ConnectorAnswers.Count); // the first try and 3 retries
        Assert.Empty(harness.Sandbox.Bot.Activities.All());
    }

    [Theory]
    [InlineData(500)]
    [InlineData(400)]
    [InlineData(413)]
    public async Task A_failure_that_is_not_transient_is_thrown_at_once(int status)
    {
        await using var harness = await BotConnectorHarness.StartAsync(QuickRetries);
        harness.Sandbox.Bot.FailNextConnectorCalls(1, status);

        var error = await Assert.ThrowsAsync<BotConnectorException>(() =>
            harness.Connector.SendAsync(harness.ServiceUrl, harness.TeamWithApp.GeneralChannelId, Message("once")));

        Assert.Equal(((HttpStatusCode)status, false), (error.Status, error.IsTransient));
        Assert.Single(harness.ConnectorAnswers);
        // The next send to the same conversation is not held up by the failed one.
        await harness.Connector.SendAsync(harness.ServiceUrl, harness.TeamWithApp.GeneralChannelId, Message("next"));
        Assert.Equal("next", Assert.Single(harness.Sandbox.Bot.Activities.All()).Text);
    }

    [Fact]
    public async Task A_cancelled_send_leaves_the_queue_in_order()
    {
        await using var harness = await BotConnectorHarness.StartAsync(new Dictionary<string, string?>(QuickRetries) { ["Bot:Connector:SendsPerThreadPerSecond"] = "1", ["Bot:Connector:SendsPerThreadPer2Seconds"] = "2" });
        var channel = harness.TeamWithApp.GeneralChannelId;
        using var cancel = new CancellationTokenSource();

        var first = harness.Connector.SendAsync(harness.ServiceUrl, channel, Message("first"));
        var second = harness.Connector.SendAsync(harness.ServiceUrl, channel, Message("second"));
        var cancelled = harness.Connector.SendAsync(harness.ServiceUrl, channel, Message("cancelled"), cancel.Token);
        var third = harness.Connector.SendAsync(harness.ServiceUrl, channel, Message("third"));
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        await Task.WhenAll(first, second, third);

        Assert.Equal(["first", "second", "third"], harness.Sandbox.Bot.Activities.For(channel).Select(a => a.Text));
    }

    [Fact]
    public async Task A_team_s_details_and_channels_come_from_the_connector_and_a_team_without_our_app_is_refused()
    {
        await using var harness = await BotConnectorHarness.StartAsync();
        var team = harness.TeamWithApp;
        var channels = harness.Sandbox.State.Teams.Channels(team.Id);

        var details = await harness.Connector.GetTeamDetailsAsync(harness.ServiceUrl, team.GeneralChannelId);
        var listed = await harness.Connector.GetTeamChannelsAsync(harness.ServiceUrl, team.GeneralChannelId);
        var refused = await Assert.ThrowsAsync<BotConnectorException>(() =>
            harness.Connector.GetTeamChannelsAsync(harness.ServiceUrl, harness.TeamWithoutApp.GeneralChannelId));

        Assert.Equal(new BotTeamDetails(team.GeneralChannelId, "Incidents", team.Id), details);
        Assert.Equal(channels.Select(c => new BotChannel(c.Id, c.DisplayName)), listed);
        Assert.Contains(listed, c => c.Id == team.GeneralChannelId);
        Assert.Equal((HttpStatusCode.Forbidden, "BotNotInConversationRoster"), (refused.Status, refused.Code));
    }

    [Theory]
    [InlineData("SendsPerThreadPer30Seconds", "0")]
    [InlineData("RequestsPerTenantPerSecond", "-1")]
    [InlineData("MaxRetries", "11")]
    [InlineData("FirstRetryDelay", "00:00:00")]
    [InlineData("MaxRetryDelay", "01:00:00")]
    public void Limits_and_retries_that_make_no_sense_are_refused_at_start(string key, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Bot:ClientSecret"] = "secret",
            [$"Bot:Connector:{key}"] = value,
        }).Build();
        using var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddBotOptions(configuration).BuildValidated();

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<BotConnectorOptions>>().Value);

        Assert.Contains($"Bot:Connector:{key}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_published_limits_are_the_defaults()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Bot:ClientSecret"] = "secret" }).Build();
        using var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddBotOptions(configuration).BuildValidated();

        var options = services.GetRequiredService<IOptions<BotConnectorOptions>>().Value;

        Assert.Equal((7, 8, 60, 1800, 30), (options.SendsPerThreadPerSecond, options.SendsPerThreadPer2Seconds, options.SendsPerThreadPer30Seconds, options.SendsPerThreadPerHour, options.RequestsPerTenantPerSecond));
    }
}
