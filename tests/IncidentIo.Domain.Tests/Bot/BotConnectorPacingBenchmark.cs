using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using IncidentIo.Testing;
using Xunit.Abstractions;

namespace IncidentIo.Domain.Tests.Bot;

/// <summary>
/// 70 messages to one channel from several callers at once, with the Sandbox enforcing Teams'
/// published per-thread limits (7/1 s, 8/2 s, 60/30 s): all delivered, in call order, and not one
/// 429 (retries are off, so one would fail the send). Prints the achieved rate against 60 per 30 s.
/// </summary>
[Trait("Category", "Benchmark")]
public sealed class BotConnectorPacingBenchmark(ITestOutputHelper output)
{
    private const int Messages = 70;
    private const int Callers = 5;
    private const double PublishedPerSecond = 60 / 30.0;

    [Fact]
    public async Task Seventy_concurrent_sends_to_one_channel_arrive_in_order_without_a_single_429()
    {
        await using var harness = await BotConnectorHarness.StartAsync(
            new Dictionary<string, string?> { ["Bot:Connector:MaxRetries"] = "0" }, enforceRateLimits: true);
        var channel = harness.TeamWithApp.GeneralChannelId;
        await harness.Connector.GetTeamDetailsAsync(harness.ServiceUrl, channel); // the token, fetched before the clock starts

        var gate = new Lock();
        var next = 0;
        var clock = Stopwatch.StartNew();
        var callers = Enumerable.Range(0, Callers).Select(_ => Task.Run(async () =>
        {
            var mine = new List<Task<string>>();
            while (true)
            {
                lock (gate)
                {
                    // Numbered and queued together, so the number is the call order.
                    if (next == Messages)
                    {
                        break;
                    }

                    mine.Add(harness.Connector.SendAsync(harness.ServiceUrl, channel, new JsonObject { ["type"] = "message", ["text"] = $"{next++}" }));
                }

                await Task.Yield();
            }

            return await Task.WhenAll(mine);
        })).ToList();
        var ids = (await Task.WhenAll(callers)).SelectMany(i => i).ToList();
        var elapsed = clock.Elapsed;

        var sent = harness.Sandbox.Bot.Activities.For(channel);
        var span = sent[^1].Timestamp - sent[0].Timestamp;
        var perSecond = (sent.Count - 1) / span.TotalSeconds;
        var throttled = harness.ConnectorAnswersWith(HttpStatusCode.TooManyRequests);
        var report = string.Join('\n',
            $"Bot connector pacing: {Messages} sends to one channel from {Callers} callers at once, Sandbox enforcing Teams' per-thread limits (7/1 s, 8/2 s, 60/30 s, 1800/h):",
            $"  wall time {elapsed.TotalSeconds:F1} s; first to last delivery {span.TotalSeconds:F1} s; achieved {perSecond:F2}/s; published 60 per 30 s = {PublishedPerSecond:F1}/s; achieved/bound = {perSecond / PublishedPerSecond:F2}",
            $"  first 60 delivered in {(sent[59].Timestamp - sent[0].Timestamp).TotalSeconds:F1} s (the 30 s window allows at most 60)",
            $"  429s from the Sandbox: {throttled}");
        output.WriteLine(report);
        Measurements.Record("bot-connector-pacing", report);
        Measurements.Figure("bot connector: sends to one thread / published 60 per 30 s", perSecond / PublishedPerSecond, "ratio", 0.9, BoundKind.AtLeast, $"{Messages} sends, {Callers} callers");
        Measurements.Figure("bot connector: 429s from Teams' per-thread limits", throttled, "429s", 0, size: $"{Messages} sends");

        Assert.Equal(Enumerable.Range(0, Messages).Select(i => $"{i}"), sent.Select(a => a.Text));
        Assert.Equal(Messages, ids.Distinct().Count());
        Assert.Equal(0, throttled);
        // Messages 61..70 had to wait for the 30 s window; how closely they follow it is a figure, not a test.
        Assert.True(span.TotalSeconds >= 29.5, $"{Messages} sends took {span.TotalSeconds:F1} s: faster than 60 per 30 s allows");
    }
}
