using IncidentIo.Domain.Announcements;
using IncidentIo.Domain.Incidents;
using IncidentIo.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace IncidentIo.Worker.Tests.Announcements;

/// <summary>
/// A Worker killed (SIGKILL) while Teams is slow to answer its posts: the deliveries it held are
/// settled as outcome unknown once their lease runs out and never resent, the ones it had not
/// started are sent by the next Worker, and no channel shows any incident twice.
/// </summary>
public sealed class WorkerKilledMidSendTests(ITestOutputHelper output)
{
    private const int Incidents = 4;
    private const int Teams = 3;

    [Fact]
    public async Task A_worker_killed_mid_send_leaves_no_card_posted_twice_and_nothing_pending()
    {
        await using var deployment = await AnnouncingDeployment.StartAsync("killsend", Teams, new Dictionary<string, string?>
        {
            ["Jobs__WorkerCount"] = "4",
            ["Jobs__SchedulePollingInterval"] = "00:00:01",
            // Longer than any send waits here (a thread's sends go one at a time: 4 x 1.5 s), so
            // only a dead worker's deliveries outlive their lease.
            ["Announcements__LeaseDuration"] = "00:00:12",
            ["Announcements__SweepSchedule"] = "*/2 * * * * *",
        });
        // Posted at once, answered 1.5 s later: a worker killed in between has posted and does not know it.
        deployment.Sandbox.Bot.SendAnswerDelay = TimeSpan.FromSeconds(1.5);
        var first = await deployment.StartWorkerAsync();

        var incidents = new List<Incident>();
        for (var i = 0; i < Incidents; i++)
        {
            incidents.Add(await deployment.DeclareAsync($"Checkout down {i}"));
        }

        // Kill while some posts are out and others still wait their turn.
        await WaitUntilAsync(async () => deployment.Posted.All().Count >= 3 && await CountAsync(deployment, DeliveryState.Sending) >= 1, TimeSpan.FromSeconds(30));
        await deployment.KillAsync(first);
        var killedAt = DateTime.UtcNow;
        Dictionary<Guid, DeliveryState> atKill;
        await using (var db = await deployment.DbAsync())
        {
            atKill = await db.AnnouncementDeliveries.ToDictionaryAsync(d => d.Id, d => d.State);
        }

        var postedAtKill = deployment.Posted.All().Count;
        Assert.Contains(DeliveryState.Sending, atKill.Values);
        Assert.Contains(DeliveryState.Pending, atKill.Values);

        deployment.Sandbox.Bot.SendAnswerDelay = TimeSpan.Zero;
        await deployment.StartWorkerAsync();
        List<AnnouncementDelivery> settled = [];
        var lastStates = "";
        await WaitUntilAsync(async () =>
        {
            await using var db = await deployment.DbAsync();
            settled = await db.AnnouncementDeliveries.AsNoTracking().ToListAsync();
            var states = string.Join(", ", settled.GroupBy(d => d.State).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}"));
            if (states != lastStates)
            {
                output.WriteLine($"{(DateTime.UtcNow - killedAt).TotalSeconds:F1} s after the kill: {states}");
                lastStates = states;
            }

            return settled.Count == Incidents * (Teams + 1) && settled.TrueForAll(d => d.State is DeliveryState.Sent or DeliveryState.OutcomeUnknown);
        }, TimeSpan.FromSeconds(90), 500);
        var settledAfter = DateTime.UtcNow - killedAt;
        await Task.Delay(1000); // a resend would be on its way by now

        var posted = deployment.Posted.All();
        var conversations = deployment.Channels.Select(c => (Name: c, Posts: posted.Where(a => a.ConversationId == c).ToList()))
            .Append((Name: "DM to the lead", Posts: posted.Where(a => a.UserId is not null).ToList()));
        foreach (var (name, posts) in conversations)
        {
            foreach (var incident in incidents)
            {
                Assert.True(posts.Count(a => AnnouncingDeployment.IsAbout(a, incident.Id)) <= 1, $"{incident.Reference} was posted more than once to {name}");
            }
        }

        var unknown = settled.Where(d => d.State == DeliveryState.OutcomeUnknown).ToList();
        // What the dead worker held is settled as unknown, never sent again; what it had not started was sent.
        Assert.All(atKill.Where(d => d.Value == DeliveryState.Sending), d => Assert.Equal(DeliveryState.OutcomeUnknown, settled.Single(s => s.Id == d.Key).State));
        Assert.All(atKill.Where(d => d.Value == DeliveryState.Pending), d => Assert.Equal(DeliveryState.Sent, settled.Single(s => s.Id == d.Key).State));
        Assert.NotEmpty(unknown);
        foreach (var delivery in settled.Where(d => d.State == DeliveryState.Sent))
        {
            Assert.Single(posted, a => IsFor(a, delivery));
        }

        var unknownPosted = unknown.Count(d => posted.Any(a => IsFor(a, d)));
        var report =
            $"Worker killed mid-send (Sandbox answering sends 1.5 s after posting them; lease 12 s, sweep every 2 s): {Incidents} incidents x ({Teams} channels + lead's DM) = {settled.Count} deliveries; worker killed with {atKill.Values.Count(s => s == DeliveryState.Sending)} sending, " +
            $"{atKill.Values.Count(s => s == DeliveryState.Pending)} pending, {atKill.Values.Count(s => s == DeliveryState.Sent)} sent, {postedAtKill} posts in Teams; " +
            $"settled {settledAfter.TotalSeconds:F1} s after the kill: {settled.Count(d => d.State == DeliveryState.Sent)} sent, {unknown.Count} outcome unknown " +
            $"({unknownPosted} of them posted before the kill, {unknown.Count - unknownPosted} not); {posted.Count} posts in all, none twice";
        output.WriteLine(report);
        Measurements.Record("worker-killed-mid-send", report);
    }

    private static bool IsFor(IncidentIo.Sandbox.BotFramework.SentActivity activity, AnnouncementDelivery delivery) =>
        AnnouncingDeployment.IsAbout(activity, delivery.IncidentId)
        && (delivery.Kind == DeliveryKind.ChannelCard ? activity.ConversationId == delivery.ConversationId : activity.UserId is not null);

    private static async Task<int> CountAsync(AnnouncingDeployment deployment, DeliveryState state)
    {
        await using var db = await deployment.DbAsync();
        return await db.AnnouncementDeliveries.CountAsync(d => d.State == state);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, int pollMs = 50)
    {
        var giveUp = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > giveUp)
            {
                throw new TimeoutException($"Not there within {timeout.TotalSeconds} s.");
            }

            await Task.Delay(pollMs);
        }
    }
}
