using Bunit;
using IncidentIo.Domain.ActiveUsers;
using IncidentIo.Domain.Changes;
using IncidentIo.Portal.Support;
using IncidentIo.Portal.Tests.Support;
using IncidentIo.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;
using Npgsql;

namespace IncidentIo.Portal.Tests.Changes;

/// <summary>
/// Two hosts on one PostgreSQL database, as a Worker and a Portal are: what one commits reaches the
/// other's subscribers and pages through LISTEN/NOTIFY, also after the listening connection was killed,
/// and open pages send nothing to the database while nothing changes.
/// </summary>
public sealed class PostgresChangeNotificationTests : ValidatedBunitContext, IAsyncLifetime
{
    private ChangeHost worker = null!;
    private ChangeHost portal = null!;
    private string adminConnectionString = null!;

    public async Task InitializeAsync()
    {
        var cluster = await PostgresCluster.GetAsync();
        adminConnectionString = cluster.AdminConnectionString;
        var database = await cluster.CreateDatabaseAsync("changes");
        // Safety re-reads far away: whatever a page reads during a test was caused by a notification.
        worker = await ChangeHost.StartAsync("worker", database, TimeSpan.FromHours(1));
        portal = await ChangeHost.StartAsync("portal", database, TimeSpan.FromHours(1));
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await portal.DisposeAsync();
        await worker.DisposeAsync();
    }

    [Fact]
    public async Task A_sweep_run_the_worker_commits_reaches_the_portals_subscriber_of_that_organisation_only()
    {
        var contoso = await NewOrganizationAsync();
        var fabrikam = await NewOrganizationAsync();
        using var followsContoso = portal.Feed.Subscribe(contoso, ChangeTopic.SweepRuns);
        using var followsFabrikam = portal.Feed.Subscribe(fabrikam, ChangeTopic.SweepRuns);
        using var followsIncidents = portal.Feed.Subscribe(contoso, ChangeTopic.Incidents);
        var before = portal.Feed.Delivered;

        await AddSweepRunAsync(worker, contoso);

        await followsContoso.WaitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        // Notifications arrive in order on one connection and are handed out as they arrive: the others were passed over.
        Assert.True(portal.Feed.Delivered > before);
        Assert.False(followsFabrikam.IsSignalled);
        Assert.False(followsIncidents.IsSignalled);
    }

    [Fact]
    public async Task A_sweep_panel_open_in_the_portal_shows_the_run_a_worker_started_without_polling()
    {
        var admin = SupportWorld.MicrosoftAdmin(Guid.NewGuid(), "Adele Admin", "admin@contoso.example");
        var organization = (await portal.Host.Services.GetRequiredService<SupportAccess>().OpenAsync(admin)).OrganizationId!.Value;

        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Services.AddFallbackServiceProvider(portal.Host.Services);
        var panel = Render<SweepPanel>(p => p.Add(c => c.OrganizationId, organization).Add(c => c.Who, admin));
        panel.WaitForElement("[data-testid=sweep-none]", TimeSpan.FromSeconds(30));

        await AddSweepRunAsync(worker, organization, running: true, runBy: "worker host-9:99");

        panel.WaitForAssertion(
            () => Assert.Contains("worker host-9:99", panel.Find("[data-testid=sweep-run]").TextContent, StringComparison.Ordinal),
            TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_killed_listener_connection_reconnects_and_the_next_change_is_delivered()
    {
        var organization = await NewOrganizationAsync();
        using var subscription = portal.Feed.Subscribe(organization, ChangeTopic.SweepRuns);
        var killed = portal.Listener.BackendProcessId;
        var connections = portal.Listener.Connections;

        await using (var admin = new NpgsqlConnection(adminConnectionString))
        {
            await admin.OpenAsync();
            await using var terminate = new NpgsqlCommand("SELECT pg_terminate_backend(@pid)", admin);
            terminate.Parameters.AddWithValue("pid", killed);
            Assert.True((bool)(await terminate.ExecuteScalarAsync())!);
        }

        await Eventually.TrueAsync(() => portal.Listener.Connections > connections && portal.Listener.BackendProcessId != 0, "the listener connects again");
        Assert.NotEqual(killed, portal.Listener.BackendProcessId);
        // The reconnect itself asks everyone to read once (changes may have been missed): take that signal first.
        await subscription.WaitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        var before = portal.Feed.Delivered;

        await AddSweepRunAsync(worker, organization);

        await subscription.WaitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        await Eventually.TrueAsync(() => portal.Feed.Delivered > before, "the change is delivered through the new connection");
    }

    [Fact]
    public async Task Open_watchers_send_no_query_while_nothing_changes_and_one_reread_each_per_change()
    {
        var organization = await NewOrganizationAsync();
        var other = await NewOrganizationAsync();
        using var stop = new CancellationTokenSource();
        var rereads = new int[20];
        var watchers = new List<Task>();
        var subscriptions = new List<ChangeSubscription>();
        for (var i = 0; i < rereads.Length; i++)
        {
            var index = i;
            var subscription = portal.Watcher.Subscribe(i % 2 == 0 ? organization : other, ChangeTopic.SweepRuns);
            subscriptions.Add(subscription);
            watchers.Add(portal.Watcher.WatchAsync(subscription, "test page", async ct =>
            {
                await using var db = portal.NewContext();
                await db.SweepRuns.CountAsync(r => r.OrganizationId == subscription.OrganizationId, ct);
                Interlocked.Increment(ref rereads[index]);
            }, stop.Token));
        }

        // Idle: over a window longer than any former polling interval (2 s), nothing is sent.
        var idleBefore = portal.Commands.Count;
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Equal(idleBefore, portal.Commands.Count);
        Assert.All(rereads, count => Assert.Equal(0, count));

        await AddSweepRunAsync(worker, organization);

        await Eventually.TrueAsync(() => Enumerable.Range(0, rereads.Length).Where(i => i % 2 == 0).All(i => Volatile.Read(ref rereads[i]) >= 1), "every follower of the organisation read again");
        await stop.CancelAsync();
        await Task.WhenAll(watchers);
        Assert.All(Enumerable.Range(0, rereads.Length), i => Assert.Equal(i % 2 == 0 ? 1 : 0, rereads[i]));
        subscriptions.ForEach(s => s.Dispose());
    }

    private Task<Guid> NewOrganizationAsync() => NewOrganizationAsync(worker);

    /// <summary>An organisation as its first admin's sign-in makes it.</summary>
    internal static async Task<Guid> NewOrganizationAsync(ChangeHost host)
    {
        var admin = SupportWorld.MicrosoftAdmin(Guid.NewGuid(), "Adele Admin", $"admin@{Guid.NewGuid():N}.example");
        return (await host.Host.Services.GetRequiredService<SupportAccess>().OpenAsync(admin)).OrganizationId!.Value;
    }

    /// <summary>A run as a worker records it: running (one at a time per organisation), or finished.</summary>
    internal static async Task AddSweepRunAsync(ChangeHost host, Guid organizationId, bool running = false, string runBy = "worker test:1")
    {
        var now = DateTimeOffset.UtcNow;
        await using var db = host.NewContext();
        db.SweepRuns.Add(new SweepRun
        {
            OrganizationId = organizationId, RequestedBy = "schedule", StartedAt = now, RunBy = runBy,
            Outcome = running ? SweepOutcome.Running : SweepOutcome.Applied,
            LeaseUntil = running ? now.AddMinutes(2) : null,
            FinishedAt = running ? null : now,
        });
        await db.SaveChangesAsync();
    }
}
