namespace IncidentIo.Domain.Bot.Connector;

/// <summary>
/// Keeps this process's connector calls within Teams' bot limits: per conversation thread a queue
/// (sends go out in call order, one at a time) and sliding windows (7/1 s, 8/2 s, 60/30 s,
/// 1800/h by default); per tenant 30 requests in any second.
/// </summary>
/// <remarks>
/// In-process on purpose, not shared through the database like <c>TenantGraphPacer</c>: that one
/// spaces calls evenly at one rate per (tenant, operation), while these limits are several sliding
/// windows per conversation thread (an even rate either gives up the burst allowance or, at
/// 2/s, overruns the hourly 1800), there is one thread per chat or channel (unbounded rows), and
/// the order of sends to a conversation can only be kept inside one process anyway. When several
/// processes send to the same thread, Teams answers 429 with <c>Retry-After</c>; a throttled request
/// uses no quota, and <see cref="BotConnector"/> waits and retries it, so the cost is a delay.
/// Each call is counted from when it starts, and stays counted until its answer arrived and a
/// window has passed since: the connector saw it no later than that, so no window is overrun
/// however long the calls take.
/// </remarks>
internal sealed class ConnectorPacer(BotConnectorOptions options, TimeProvider clock)
{
    private static readonly TimeSpan SweepEvery = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan InFlightPoll = TimeSpan.FromMilliseconds(20);

    private readonly Lock gate = new();
    private readonly Dictionary<string, Lane> lanes = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, CallLog> tenants = new(StringComparer.OrdinalIgnoreCase);
    private DateTimeOffset sweptAt = clock.GetUtcNow();

    /// <summary>The thread a conversation id addresses: a channel reply (<c>…;messageid=…</c>) is in its channel's thread.</summary>
    public static string ThreadOf(string conversationId) => conversationId.Split(';', 2)[0];

    /// <summary>Joins the thread's queue now (call order is send order); the turn starts when every earlier send is done.</summary>
    public Turn Enqueue(string conversationId)
    {
        lock (gate)
        {
            SweepLocked();
            var lane = LaneLocked(ThreadOf(conversationId));
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var previous = lane.Tail;
            lane.Tail = done.Task;
            lane.Pending++;
            return new Turn(this, lane, previous, done);
        }
    }

    /// <summary>Waits until one more call fits the thread's (when given) and the tenant's windows, and counts it.</summary>
    public async Task<Slot> TakeAsync(Lane? lane, string tenantKey, CancellationToken cancellationToken)
    {
        while (true)
        {
            TimeSpan wait;
            lock (gate)
            {
                var now = clock.GetUtcNow();
                var tenant = TenantLocked(tenantKey);
                var threadWait = lane?.Log.WaitTime(now, options.ThreadLimits) ?? TimeSpan.Zero;
                var tenantWait = tenant.WaitTime(now, options.TenantLimits);
                wait = threadWait > tenantWait ? threadWait : tenantWait;
                if (wait <= TimeSpan.Zero)
                {
                    return new Slot(lane?.Log.Start(), tenant.Start());
                }
            }

            await Task.Delay(wait, clock, cancellationToken);
        }
    }

    /// <summary>The call's answer came: it counts from now until its windows pass.</summary>
    public void Complete(Slot slot)
    {
        lock (gate)
        {
            var now = clock.GetUtcNow();
            slot.Thread?.Complete(now);
            slot.Tenant?.Complete(now);
        }
    }

    /// <summary>A call made outside the queue (creating a 1:1 conversation) counts against the thread it answered with.</summary>
    public void Record(string conversationId)
    {
        lock (gate)
        {
            LaneLocked(ThreadOf(conversationId)).Log.Start().Complete(clock.GetUtcNow());
        }
    }

    private Lane LaneLocked(string thread) => lanes.TryGetValue(thread, out var lane) ? lane : lanes[thread] = new Lane();

    private CallLog TenantLocked(string key) => tenants.TryGetValue(key, out var log) ? log : tenants[key] = new CallLog();

    /// <summary>Forgets threads and tenants with nothing queued and nothing left in any window.</summary>
    private void SweepLocked()
    {
        var now = clock.GetUtcNow();
        if (now - sweptAt < SweepEvery)
        {
            return;
        }

        sweptAt = now;
        foreach (var (thread, lane) in lanes.ToList())
        {
            if (lane.Pending == 0 && lane.Log.IsIdle(now, TimeSpan.FromHours(1)))
            {
                lanes.Remove(thread);
            }
        }

        foreach (var (key, log) in tenants.ToList())
        {
            if (log.IsIdle(now, TimeSpan.FromSeconds(1)))
            {
                tenants.Remove(key);
            }
        }
    }

    /// <summary>One thread: its queue's tail and its calls.</summary>
    internal sealed class Lane
    {
        public Task Tail { get; set; } = Task.CompletedTask;

        public int Pending { get; set; }

        public CallLog Log { get; } = new();
    }

    /// <summary>Calls in flight (no answer yet) and the answer times of recent ones.</summary>
    internal sealed class CallLog
    {
        private readonly List<Call> calls = [];

        public Call Start()
        {
            var call = new Call();
            calls.Add(call);
            return call;
        }

        /// <summary>How long until one more call fits every (requests, window); zero when it fits now.</summary>
        public TimeSpan WaitTime(DateTimeOffset now, IReadOnlyList<(int Requests, TimeSpan Window)> limits)
        {
            var longest = limits.Max(l => l.Window);
            calls.RemoveAll(c => c.AnsweredAt is { } at && at <= now - longest);
            var wait = TimeSpan.Zero;
            foreach (var (requests, window) in limits)
            {
                var inFlight = calls.Count(c => c.AnsweredAt is null);
                var answered = calls.Where(c => c.AnsweredAt > now - window).Select(c => c.AnsweredAt!.Value).Order().ToList();
                var over = inFlight + answered.Count - requests + 1;
                if (over <= 0)
                {
                    continue;
                }

                // The oldest answered calls leave the window first; calls still in flight leave only after their answer.
                var until = over <= answered.Count ? answered[over - 1] + window - now : InFlightPoll;
                wait = until > wait ? until : wait;
            }

            return wait;
        }

        public bool IsIdle(DateTimeOffset now, TimeSpan longest) => calls.TrueForAll(c => c.AnsweredAt is { } at && at <= now - longest);
    }

    internal sealed class Call
    {
        public DateTimeOffset? AnsweredAt { get; private set; }

        public void Complete(DateTimeOffset now) => AnsweredAt ??= now;
    }

    internal sealed record Slot(Call? Thread, Call? Tenant);

    /// <summary>A place in a thread's queue; disposing it lets the next send go.</summary>
    internal sealed class Turn(ConnectorPacer pacer, Lane lane, Task previous, TaskCompletionSource done) : IDisposable
    {
        public Lane Lane => lane;

        /// <summary>Waits for the sends queued before this one (their failures are theirs, not this one's).</summary>
        public Task WaitAsync(CancellationToken cancellationToken) => previous.WaitAsync(cancellationToken);

        public void Dispose()
        {
            lock (pacer.gate)
            {
                lane.Pending--;
            }

            // A send given up while waiting must not let later ones overtake those still before it.
            if (previous.IsCompleted)
            {
                done.TrySetResult();
            }
            else
            {
                previous.ContinueWith(_ => done.TrySetResult(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
    }
}
