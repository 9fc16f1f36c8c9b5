namespace IncidentIo.Domain.Changes;

/// <summary>Carries committed changes to every process's <see cref="ChangeFeed"/>.</summary>
public interface IChangePublisher
{
    /// <summary>Called after the commit. Never throws for a delivery failure: the data is saved, and pages' safety re-read covers a lost notification.</summary>
    Task PublishAsync(IReadOnlyCollection<DataChange> changes, CancellationToken cancellationToken);
}

/// <summary>The embedded default (SQLite, in-process jobs): every writer is in this process.</summary>
public sealed class InProcessChangePublisher(ChangeFeed feed) : IChangePublisher
{
    public Task PublishAsync(IReadOnlyCollection<DataChange> changes, CancellationToken cancellationToken)
    {
        foreach (var change in changes)
        {
            feed.Deliver(change);
        }

        return Task.CompletedTask;
    }
}
