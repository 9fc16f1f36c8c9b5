using IncidentIo.Domain.Announcements;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.Tests.Announcements;
using IncidentIo.Domain.Tests.Reachability;
using IncidentIo.Sandbox.State;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IncidentIo.Domain.Tests.Security;

/// <summary>
/// Microsoft answers 429 with a Retry-After of two days. No worker sleeps on it while holding a
/// delivery's lease: the delivery is released and rescheduled at most <c>Microsoft:MaxRetryAfter</c>
/// ahead, and the tenant's Graph pace is pushed back no further than that either.
/// </summary>
public sealed class HugeRetryAfterTests : IAsyncLifetime
{
    private static readonly TimeSpan Cap = TimeSpan.FromMinutes(1);
    private AnnouncementHarness harness = null!;

    public async Task InitializeAsync() => harness = await AnnouncementHarness.StartAsync(settings: new Dictionary<string, string?>
    {
        ["Microsoft:MaxRetryAfter"] = Cap.ToString(),
        // The connector's own retries on, as in production: the huge Retry-After must not be waited out in them.
        ["Bot:Connector:MaxRetries"] = "4",
    });

    public async Task DisposeAsync() => await harness.DisposeAsync();

    [Fact]
    public async Task A_connector_429_with_a_two_day_retry_after_reschedules_the_delivery_within_the_cap_instead_of_sleeping()
    {
        var admin = await harness.UserAsync(DemoSeed.AdminId);
        var uma = await harness.UserAsync(DemoSeed.UserId);
        await harness.AddRuleAsync(admin.Id);
        await harness.DeclareAsync(admin.Id, uma.Id);
        harness.Reach.Sandbox.Bot.FailNextConnectorCalls(1, 429, TimeSpan.FromDays(2));

        // Were the two days slept, this would be cancelled and the job would throw.
        using var patience = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var before = DateTimeOffset.UtcNow;
        foreach (var update in harness.QueuedUpdates())
        {
            await harness.Jobs.AnnounceAsync(update, patience.Token);
        }

        await using var db = await harness.DbAsync();
        var deliveries = await db.AnnouncementDeliveries.AsNoTracking().ToListAsync();
        var throttled = Assert.Single(deliveries, d => d.State != DeliveryState.Sent);
        Assert.Equal((DeliveryState.Failed, 429, 1), (throttled.State, throttled.LastStatus, throttled.Attempts));
        Assert.Null(throttled.LeaseUntil);
        Assert.InRange(throttled.NextAttemptAt!.Value, before, DateTimeOffset.UtcNow + Cap);
        Assert.Single(harness.Queue.Take(nameof(AnnouncementJobs.DeliverAsync)));
        // Only the other delivery went out; the throttled one was not retried in place.
        Assert.Single(harness.Posted.All());
    }

    [Fact]
    public async Task A_graph_429_with_a_two_day_retry_after_holds_the_tenant_back_no_longer_than_the_cap()
    {
        var pacer = harness.Reach.Services.GetRequiredService<TenantGraphPacer>();
        await pacer.WaitForSlotAsync(ReachabilityHarness.Contoso, "test-operation", 10, CancellationToken.None);

        var before = DateTimeOffset.UtcNow;
        await pacer.ThrottledAsync(ReachabilityHarness.Contoso, "test-operation", TimeSpan.FromDays(2), CancellationToken.None);

        await using var db = await harness.DbAsync();
        var pace = await db.GraphPaces.AsNoTracking().SingleAsync(p => p.TenantId == ReachabilityHarness.Contoso && p.Operation == "test-operation");
        Assert.InRange(pace.NextSlotAt, before + Cap - TimeSpan.FromSeconds(1), DateTimeOffset.UtcNow + Cap);
    }

    [Fact]
    public void A_retry_after_header_beyond_the_cap_is_cut_to_it_and_garbage_is_ignored()
    {
        var response = new HttpResponseMessage();
        response.Headers.TryAddWithoutValidation("Retry-After", "99999999999999");
        Assert.Equal(Cap, RetryAfterHeader.Capped(RetryAfterHeader.From(response.Headers), Cap));
        Assert.Equal(TimeSpan.FromSeconds(5), RetryAfterHeader.Capped(TimeSpan.FromSeconds(5), Cap));

        var garbage = new HttpResponseMessage();
        garbage.Headers.TryAddWithoutValidation("Retry-After", "-3");
        Assert.Null(RetryAfterHeader.From(garbage.Headers));
    }
}
