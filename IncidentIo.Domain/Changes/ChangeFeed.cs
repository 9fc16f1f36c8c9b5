using System.Threading.Channels;

namespace IncidentIo.Domain.Changes;

/// <summary>
/// This process's subscribers and the fan-out to them. Whatever carries changes here (the in-process
/// publisher, or the PostgreSQL listener) calls <see cref="Deliver"/>; a subscriber is only signalled,
/// never called, so a slow page never holds up delivery.
/// </summary>
public sealed class ChangeFeed
{
    private readonly Lock gate = new();
    private ChangeSubscription[] subscriptions = [];
    private long delivered;

    /// <summary>Changes delivered to this process so far (for tests and measurements).</summary>
    public long Delivered => Interlocked.Read(ref delivered);

    public int SubscriberCount => Volatile.Read(ref subscriptions).Length;

    /// <summary>Follows <paramref name="topics"/> of one organisation; null follows every organisation's (and process-wide) changes.</summary>
    public ChangeSubscription Subscribe(Guid? organizationId, params ChangeTopic[] topics)
    {
        ArgumentOutOfRangeException.ThrowIfZero(topics.Length, nameof(topics));
        var subscription = new ChangeSubscription(this, organizationId, topics);
        lock (gate)
        {
            subscriptions = [.. subscriptions, subscription];
        }

        return subscription;
    }

    public void Deliver(DataChange change)
    {
        Interlocked.Increment(ref delivered);
        foreach (var subscription in Volatile.Read(ref subscriptions))
        {
            if (subscription.Follows(change))
            {
                subscription.Signal();
            }
        }
    }

    /// <summary>Changes may have been missed (the listener was disconnected): everyone reads again once.</summary>
    public void DeliverToEveryone()
    {
        foreach (var subscription in Volatile.Read(ref subscriptions))
        {
            subscription.Signal();
        }
    }

    internal void Remove(ChangeSubscription subscription)
    {
        lock (gate)
        {
            subscriptions = [.. subscriptions.Where(s => !ReferenceEquals(s, subscription))];
        }
    }
}

/// <summary>
/// One subscriber's pending signal. Signals coalesce: any number of changes before the subscriber
/// looks again is one re-read.
/// </summary>
public sealed class ChangeSubscription : IDisposable
{
    private readonly ChangeFeed feed;
    private readonly ChangeTopic[] topics;
    private readonly Channel<bool> pending = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private Guid? organizationId;

    internal ChangeSubscription(ChangeFeed feed, Guid? organizationId, ChangeTopic[] topics)
    {
        this.feed = feed;
        this.organizationId = organizationId;
        this.topics = topics;
    }

    public Guid? OrganizationId
    {
        get
        {
            lock (pending)
            {
                return organizationId;
            }
        }
    }

    /// <summary>The page now shows another organisation.</summary>
    public void Follow(Guid? organization)
    {
        lock (pending)
        {
            organizationId = organization;
        }
    }

    internal bool Follows(DataChange change) =>
        Array.IndexOf(topics, change.Topic) >= 0
        && (change.OrganizationId is null || OrganizationId is null || change.OrganizationId == OrganizationId);

    internal void Signal() => pending.Writer.TryWrite(true);

    /// <summary>Completes when a change arrived since the last wait (at once if one is pending).</summary>
    public async Task WaitAsync(CancellationToken cancellationToken) => await pending.Reader.ReadAsync(cancellationToken);

    /// <summary>Whether a change arrived that the next wait will return for at once.</summary>
    public bool IsSignalled => pending.Reader.TryPeek(out _);

    /// <summary>Forgets a pending signal: what it announced is about to be read anyway.</summary>
    public void Clear() => pending.Reader.TryRead(out _);

    public void Dispose()
    {
        feed.Remove(this);
        pending.Writer.TryComplete();
    }
}
