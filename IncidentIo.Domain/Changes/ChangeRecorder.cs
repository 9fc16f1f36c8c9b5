using System.Data.Common;
using System.Runtime.CompilerServices;
using IncidentIo.Domain.ActiveUsers;
using IncidentIo.Domain.Announcements;
using IncidentIo.Domain.Incidents;
using IncidentIo.Domain.Jobs;
using IncidentIo.Domain.Reachability;
using IncidentIo.Domain.Setup.AutomaticInstall;
using IncidentIo.Domain.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace IncidentIo.Domain.Changes;

/// <summary>
/// Publishes what a save changed once it is committed: the saved entities say which organisation's
/// installs, people, incidents, sweep runs or setup changed. Inside an explicit transaction the
/// changes wait for the commit (and are dropped on rollback). Bulk updates
/// (<c>ExecuteUpdate</c>) bypass the change tracker: their code calls <see cref="RecordAsync"/>.
/// </summary>
public sealed class ChangeRecorder(IChangePublisher publisher) : ISaveChangesInterceptor, IDbTransactionInterceptor
{
    // Columns a worker writes to hold a row while it works on it: nobody sees them.
    private static readonly HashSet<string> Bookkeeping = ["LeaseUntil", "LeaseOwner"];

    private readonly ConditionalWeakTable<DbContext, HashSet<DataChange>> pending = [];

    /// <summary>A change made outside the change tracker: published now, or at the commit of the context's open transaction.</summary>
    public async Task RecordAsync(DbContext db, DataChange change, CancellationToken cancellationToken)
    {
        if (db.Database.CurrentTransaction is not null)
        {
            lock (pending)
            {
                pending.GetOrCreateValue(db).Add(change);
            }

            return;
        }

        await publisher.PublishAsync([change], cancellationToken);
    }

    public ValueTask<InterceptionResult<int>> SavingChangesAsync(DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Collect(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Collect(eventData.Context);
        return result;
    }

    public async ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is { } db && db.Database.CurrentTransaction is null)
        {
            await FlushAsync(db);
        }

        return result;
    }

    public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        if (eventData.Context is { } db && db.Database.CurrentTransaction is null)
        {
            FlushInBackground(db);
        }

        return result;
    }

    public Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        // A failed save inside a transaction may be retried or committed with other work: keep what it meant only without one.
        SaveChangesFailed(eventData);
        return Task.CompletedTask;
    }

    public void SaveChangesFailed(DbContextErrorEventData eventData)
    {
        if (eventData.Context is { } db && db.Database.CurrentTransaction is null)
        {
            Take(db);
        }
    }

    public async Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (eventData.Context is { } db)
        {
            await FlushAsync(db);
        }
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData)
    {
        if (eventData.Context is { } db)
        {
            FlushInBackground(db);
        }
    }

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        TransactionRolledBack(transaction, eventData);
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData)
    {
        if (eventData.Context is { } db)
        {
            Take(db);
        }
    }

    private void Collect(DbContext? db)
    {
        if (db is null)
        {
            return;
        }

        List<DataChange>? found = null;
        var entries = db.ChangeTracker.Entries().ToList();
        var owners = new Owners(entries);
        foreach (var entry in entries)
        {
            if (entry.State is not (EntityState.Added or EntityState.Modified or EntityState.Deleted) || OnlyBookkeeping(entry))
            {
                continue;
            }

            foreach (var change in ChangesOf(owners, entry))
            {
                (found ??= []).Add(change);
            }
        }

        if (found is null)
        {
            return;
        }

        lock (pending)
        {
            pending.GetOrCreateValue(db).UnionWith(found);
        }
    }

    private static bool OnlyBookkeeping(EntityEntry entry) =>
        entry.State == EntityState.Modified && entry.Properties.Where(p => p.IsModified).All(p => Bookkeeping.Contains(p.Metadata.Name));

    private static IEnumerable<DataChange> ChangesOf(Owners owners, EntityEntry entry)
    {
        switch (entry.Entity)
        {
            case User user:
                yield return DataChange.Of(ChangeTopic.People, user.OrganizationId);
                yield return DataChange.Of(ChangeTopic.Installs, user.OrganizationId);
                break;
            case UserAppInstallation installation:
                // Kept in its user's row: the organisation is the owner's.
                yield return owners.OfInstallation(installation) is { } organization
                    ? DataChange.Of(ChangeTopic.Installs, organization)
                    : DataChange.Everywhere(ChangeTopic.Installs);
                break;
            case AppInstallationAttempt attempt:
                yield return DataChange.Of(ChangeTopic.Installs, attempt.OrganizationId);
                break;
            case Incident incident:
                yield return DataChange.Of(ChangeTopic.Incidents, incident.OrganizationId);
                break;
            case IncidentUpdate update:
                yield return DataChange.Of(ChangeTopic.Incidents, update.OrganizationId);
                break;
            case AnnouncementDelivery delivery:
                yield return DataChange.Of(ChangeTopic.Incidents, delivery.OrganizationId);
                break;
            case SweepRun run:
                yield return DataChange.Of(ChangeTopic.SweepRuns, run.OrganizationId);
                break;
            case AutomaticInstall install:
                yield return DataChange.Of(ChangeTopic.Setup, install.OrganizationId);
                break;
            case AutomaticInstallStep step:
                yield return owners.OfInstall(step.InstallId) is { } installedIn
                    ? DataChange.Of(ChangeTopic.Setup, installedIn)
                    : DataChange.Everywhere(ChangeTopic.Setup);
                break;
            case JobHeartbeat:
                yield return DataChange.Everywhere(ChangeTopic.System);
                break;
        }
    }

    /// <summary>
    /// The organisations of one save's owned rows, looked up in its tracked entries once: asking
    /// the change tracker per row (each time detecting changes in all of them) made a save of n
    /// new people take n² steps — two minutes for 10,000.
    /// </summary>
    private sealed class Owners(List<EntityEntry> entries)
    {
        private Dictionary<object, Guid>? installations;
        private Dictionary<Guid, Guid>? installs;

        public Guid? OfInstallation(UserAppInstallation installation)
        {
            installations ??= entries.Select(e => e.Entity).OfType<User>()
                .DistinctBy(u => u.AppInstallation, ReferenceEqualityComparer.Instance)
                .ToDictionary(u => (object)u.AppInstallation, u => u.OrganizationId, ReferenceEqualityComparer.Instance);
            return installations.TryGetValue(installation, out var organization) ? organization : null;
        }

        public Guid? OfInstall(Guid installId)
        {
            installs ??= entries.Select(e => e.Entity).OfType<AutomaticInstall>().DistinctBy(i => i.Id).ToDictionary(i => i.Id, i => i.OrganizationId);
            return installs.TryGetValue(installId, out var organization) ? organization : null;
        }
    }

    private DataChange[] Take(DbContext db)
    {
        lock (pending)
        {
            if (!pending.TryGetValue(db, out var changes) || changes.Count == 0)
            {
                return [];
            }

            var taken = changes.ToArray();
            changes.Clear();
            return taken;
        }
    }

    private async Task FlushAsync(DbContext db)
    {
        if (Take(db) is { Length: > 0 } changes)
        {
            // Not the caller's token: the commit happened, so its news goes out even if the caller is leaving.
            await publisher.PublishAsync(changes, CancellationToken.None);
        }
    }

    private void FlushInBackground(DbContext db)
    {
        if (Take(db) is { Length: > 0 } changes)
        {
            _ = Task.Run(() => publisher.PublishAsync(changes, CancellationToken.None));
        }
    }
}
