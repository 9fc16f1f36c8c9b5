using System.Diagnostics;
using IncidentIo.Domain.Announcements;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.Reachability;
using IncidentIo.Sandbox.State;
using IncidentIo.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace IncidentIo.Domain.Tests.Announcements;

/// <summary>
/// The embedded default's database (SQLite) through the same announcing paths: the conditional
/// claims and updates, the install wait, the sweep. Also measures declare-to-post with the job run at once.
/// </summary>
public sealed class SqliteAnnouncingTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Declare_posts_the_card_and_the_dm_once_and_an_abandoned_send_becomes_outcome_unknown()
    {
        await using var harness = await AnnouncementHarness.StartAsync(DatabaseOptions.Sqlite);
        var admin = await harness.UserAsync(DemoSeed.AdminId);
        var uma = await harness.UserAsync(DemoSeed.UserId);
        await harness.AddRuleAsync(admin.Id);

        var timings = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var clock = Stopwatch.StartNew();
            await harness.DeclareAsync(admin.Id, uma.Id);
            await harness.Jobs.AnnounceAsync(Assert.Single(harness.QueuedUpdates()), CancellationToken.None);
            timings.Add(clock.Elapsed.TotalMilliseconds);
        }

        await harness.Jobs.SweepAsync(CancellationToken.None);
        Assert.Equal(5, harness.Posted.For(harness.Team.GeneralChannelId).Count);
        Assert.Equal(5, harness.Posted.All().Count(a => a.UserId == DemoSeed.UserId));
        var text = $"declare → card and DM posted (SQLite, Sandbox connector, job run at once): median {timings.Order().ElementAt(2):0} ms, max {timings.Max():0} ms over 5 (first includes token acquisition)";
        output.WriteLine(text);
        Measurements.Record("declare-to-announce-sqlite", text);

        var incident = await harness.DeclareAsync(admin.Id, uma.Id);
        var update = Assert.Single(harness.QueuedUpdates());
        await harness.Jobs.CreateDeliveriesAsync(update, CancellationToken.None);
        await using (var db = await harness.DbAsync())
        {
            await db.AnnouncementDeliveries.Where(d => d.IncidentId == incident.Id).ExecuteUpdateAsync(s => s
                .SetProperty(d => d.State, DeliveryState.Sending).SetProperty(d => d.LeaseUntil, DateTimeOffset.UtcNow.AddSeconds(-1)));
        }

        await harness.Jobs.SweepAsync(CancellationToken.None);
        Assert.All(await harness.DeliveriesAsync(incident.Id), d => Assert.Equal(DeliveryState.OutcomeUnknown, d.State));
        Assert.Equal(5, harness.Posted.For(harness.Team.GeneralChannelId).Count);
    }

    [Fact]
    public async Task A_lead_without_our_app_waits_for_the_install_then_gets_the_dm()
    {
        await using var harness = await AnnouncementHarness.StartAsync(DatabaseOptions.Sqlite);
        var admin = await harness.UserAsync(DemoSeed.AdminId);
        var nora = await harness.UserAsync(DemoSeed.NoTeamUser1Id);

        var incident = await harness.DeclareAsync(admin.Id, nora.Id);
        await harness.Jobs.AnnounceAsync(Assert.Single(harness.QueuedUpdates()), CancellationToken.None);
        Assert.Equal(DeliveryState.WaitingForInstall, Assert.Single(await harness.DeliveriesAsync(incident.Id)).State);
        Assert.Equal(InstallationState.Installed, await harness.Reach.Installer.RunAsync(nora.Id, "dm-needed"));
        await Task.Delay(150);
        await harness.Jobs.SweepAsync(CancellationToken.None);

        Assert.Equal(DeliveryState.Sent, Assert.Single(await harness.DeliveriesAsync(incident.Id)).State);
        Assert.Single(harness.Posted.All(), a => a.UserId == DemoSeed.NoTeamUser1Id);
    }
}
