using IncidentIo.Domain.Data;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.Tests.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace IncidentIo.Domain.Tests.MicrosoftCloud;

/// <summary>
/// The tenant pacer on PostgreSQL with a clock the test moves: what a 429 does to the shared row
/// (how long everyone waits, whether the gap widens) and that a caller woken late does not send
/// together with the next one. Checked on the row and on counts, never on the wall clock.
/// </summary>
public sealed class TenantGraphPacerTests : IAsyncLifetime
{
    private const string Operation = "test-operation";
    private const double PerSecond = 10; // a gap of 100 ms
    private static readonly DateTimeOffset Start = new(2026, 12, 4, 8, 0, 0, TimeSpan.Zero);
    private static readonly Guid Tenant = Guid.NewGuid();

    private readonly FakeTimeProvider clock = new(Start);
    private TestDatabase database = null!;
    private ServiceProvider services = null!;
    private TenantGraphPacer pacer = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync(DatabaseOptions.Postgres);
        services = database.BuildServices();
        await services.GetRequiredService<DatabaseMigrator>().MigrateAsync();
        pacer = new TenantGraphPacer(services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>(),
            Options.Create(new MicrosoftOptions { MaxRetryAfter = TimeSpan.FromMinutes(5) }), clock);
    }

    public async Task DisposeAsync()
    {
        await services.DisposeAsync();
        await database.DisposeAsync();
    }

    [Fact]
    public async Task A_single_429_holds_everyone_back_for_its_retry_after_and_leaves_the_gap()
    {
        var sent = await pacer.WaitForSlotAsync(Tenant, Operation, PerSecond, CancellationToken.None);

        await pacer.ThrottledAsync(Tenant, Operation, TimeSpan.FromSeconds(2), CancellationToken.None, sent);

        var pace = await PaceAsync();
        Assert.Equal((Start + TimeSpan.FromSeconds(2), 100.0, 1), (pace.NextSlotAt, pace.IntervalMs, pace.ThrottledCount));
    }

    [Fact]
    public async Task Calls_sent_before_a_429_was_heard_are_of_its_burst_and_do_not_widen_the_gap()
    {
        var sent = await pacer.WaitForSlotAsync(Tenant, Operation, PerSecond, CancellationToken.None);
        await pacer.ThrottledAsync(Tenant, Operation, TimeSpan.FromSeconds(1), CancellationToken.None, sent);

        // Another step of the same batch, a call already in flight, and (without a send time) a worker hearing the same burst.
        clock.Advance(TimeSpan.FromSeconds(3));
        await pacer.ThrottledAsync(Tenant, Operation, TimeSpan.FromSeconds(1), CancellationToken.None, sent);
        await pacer.ThrottledAsync(Tenant, Operation, TimeSpan.FromSeconds(1), CancellationToken.None);

        var pace = await PaceAsync();
        Assert.Equal((100.0, 3), (pace.IntervalMs, pace.ThrottledCount));
    }

    [Fact]
    public async Task A_429_for_a_call_sent_after_waiting_one_out_doubles_the_gap_and_it_narrows_back_once_they_stop()
    {
        var first = await pacer.WaitForSlotAsync(Tenant, Operation, PerSecond, CancellationToken.None);
        await pacer.ThrottledAsync(Tenant, Operation, TimeSpan.FromSeconds(1), CancellationToken.None, first);

        var again = WaitForSlotAsync();
        clock.Advance(TimeSpan.FromSeconds(1));
        var sent = await again;
        Assert.Equal(Start + TimeSpan.FromSeconds(1), sent);
        await pacer.ThrottledAsync(Tenant, Operation, TimeSpan.FromSeconds(1), CancellationToken.None, sent);
        Assert.Equal(200.0, (await PaceAsync()).IntervalMs);

        // Ten quiet seconds later, a $batch of 20 slots brings the gap back to the configured one.
        clock.Advance(TimeSpan.FromSeconds(11));
        await pacer.WaitForSlotAsync(Tenant, Operation, PerSecond, CancellationToken.None, slots: 20);
        Assert.Equal(100.0, (await PaceAsync()).IntervalMs);
    }

    [Fact]
    public async Task A_caller_woken_late_does_not_send_together_with_the_next_one()
    {
        // Two batches of 20 steps, 2 s of slots each, taken one after the other from a row whose next slot is 1 s away.
        await using (var db = await DbAsync())
        {
            db.GraphPaces.Add(new GraphPace { TenantId = Tenant, Operation = Operation, NextSlotAt = Start + TimeSpan.FromSeconds(1), IntervalMs = 100 });
            await db.SaveChangesAsync();
        }

        var sends = new List<Task<DateTimeOffset>> { WaitForSlotAsync(slots: 20), WaitForSlotAsync(slots: 20) };
        await Until(async () => (await PaceAsync()).NextSlotAt == Start + TimeSpan.FromSeconds(5));

        // The machine stalls past both slots: both callers wake at once.
        clock.Advance(TimeSpan.FromSeconds(3.5));
        await Until(() => Task.FromResult(sends.Count(s => s.IsCompleted) == 1));
        await Task.Delay(200);
        Assert.Equal(1, sends.Count(s => s.IsCompleted));
        Assert.Equal(1, pacer.HeldBack(Tenant, Operation));

        // The second goes one batch's worth of slots after the first.
        clock.Advance(TimeSpan.FromSeconds(2));
        var times = (await Task.WhenAll(sends)).Order().ToList();
        Assert.Equal([Start + TimeSpan.FromSeconds(3.5), Start + TimeSpan.FromSeconds(5.5)], times);
    }

    [Fact]
    public async Task After_a_429_no_call_of_this_process_goes_before_its_retry_after_not_even_one_whose_slot_was_taken()
    {
        var first = await pacer.WaitForSlotAsync(Tenant, Operation, PerSecond, CancellationToken.None);
        var queued = WaitForSlotAsync();
        await Until(async () => (await PaceAsync()).NextSlotAt == Start + TimeSpan.FromMilliseconds(200));

        await pacer.ThrottledAsync(Tenant, Operation, TimeSpan.FromSeconds(2), CancellationToken.None, first);
        clock.Advance(TimeSpan.FromSeconds(1));
        await Task.Delay(200);
        Assert.False(queued.IsCompleted);

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(Start + TimeSpan.FromSeconds(2), await queued);
    }

    [Theory]
    [InlineData("2", 2000)]
    [InlineData("2.128", 2128)]
    public void Retry_after_is_read_in_seconds_with_or_without_a_fraction(string header, int milliseconds)
    {
        using var response = new HttpResponseMessage();
        response.Headers.TryAddWithoutValidation("Retry-After", header);
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), RetryAfterHeader.From(response.Headers));
    }

    private Task<DateTimeOffset> WaitForSlotAsync(int slots = 1) =>
        Task.Run(() => pacer.WaitForSlotAsync(Tenant, Operation, PerSecond, CancellationToken.None, slots));

    private async Task<GraphPace> PaceAsync()
    {
        await using var db = await DbAsync();
        return await db.GraphPaces.AsNoTracking().SingleAsync(p => p.TenantId == Tenant && p.Operation == Operation);
    }

    private Task<IncidentIoDbContext> DbAsync() => services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>().CreateDbContextAsync();

    /// <summary>Polls until <paramref name="condition"/> holds: work on the database goes on in the background.</summary>
    private static async Task Until(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 500 && !await condition(); i++)
        {
            await Task.Delay(20);
        }

        Assert.True(await condition());
    }
}
