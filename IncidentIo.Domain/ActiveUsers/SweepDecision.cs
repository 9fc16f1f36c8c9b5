using System.Text;

namespace IncidentIo.Domain.ActiveUsers;

/// <summary>A person as the sweep weighs them: our id, their Microsoft object id, and whether they are active now.</summary>
public readonly record struct SweepPerson(Guid Id, Guid ObjectId, bool IsActive);

/// <summary>What a run would change: who leaves (by our id and by object id) and who comes back.</summary>
public sealed record SweepChanges(int ActiveBefore, List<Guid> Deactivate, List<Guid> Reactivate, List<Guid> DeactivateObjectIds)
{
    /// <summary>One line per change, as a quarantined or dry run keeps them (read back by <see cref="ProposedChange.Parse"/>).</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        foreach (var id in Deactivate)
        {
            text.Append("deactivate ").Append(id.ToString("N")).Append('\n');
        }

        foreach (var id in Reactivate)
        {
            text.Append("reactivate ").Append(id.ToString("N")).Append('\n');
        }

        return text.ToString();
    }
}

/// <summary>How a run ends before anything is written: <see cref="SweepOutcome.Applied"/> means "write the changes".</summary>
public sealed record SweepVerdict(SweepOutcome Outcome, string? Reason);

/// <summary>
/// The sweep's decisions, apart from any reading or writing: who leaves, who comes back, whether
/// the run may act at all, and which last Owner stays. Everything here errs towards keeping
/// people: an incomplete read or a missing bot team deactivates nobody, and a mass removal waits.
/// </summary>
public static class SweepDecision
{
    /// <summary>Active people not among the members leave; inactive people among them come back.</summary>
    public static SweepChanges Changes(IReadOnlyCollection<SweepPerson> people, Func<Guid, bool> isMember)
    {
        var leaving = people.Where(p => p.IsActive && !isMember(p.ObjectId)).ToList();
        return new SweepChanges(
            people.Count(p => p.IsActive),
            [.. leaving.Select(p => p.Id)],
            [.. people.Where(p => !p.IsActive && isMember(p.ObjectId)).Select(p => p.Id)],
            [.. leaving.Select(p => p.ObjectId)]);
    }

    /// <summary>
    /// Whether the run may write its changes. <paramref name="readFailure"/> is why the read was
    /// incomplete (null when complete); <paramref name="changes"/> is null when no team with our app was read.
    /// </summary>
    public static SweepVerdict Judge(string? readFailure, SweepChanges? changes, bool dryRun, double quarantineShare, int quarantineCount)
    {
        if (readFailure is not null)
        {
            return new SweepVerdict(SweepOutcome.Inconclusive, ClippedText.Clip($"Nobody was deactivated: {readFailure}", 4000));
        }

        if (changes is null)
        {
            // Nothing to compare against (our app is in no team yet, or was removed from all):
            // deactivating everyone would lock the whole organisation out.
            return new SweepVerdict(SweepOutcome.Inconclusive,
                "Nobody was deactivated: IncidentIo is installed in no team, so there is nobody to keep. Add it to a team (setup's install step) and run again.");
        }

        if (dryRun)
        {
            return new SweepVerdict(SweepOutcome.DryRun, null);
        }

        if (IsMassRemoval(changes, quarantineShare, quarantineCount))
        {
            return new SweepVerdict(SweepOutcome.Quarantined,
                $"This run would deactivate {changes.Deactivate.Count} of {changes.ActiveBefore} active users, more than " +
                $"{quarantineShare:P0} and {quarantineCount}: nothing changes until an admin allows or rejects it.");
        }

        return new SweepVerdict(SweepOutcome.Applied, null);
    }

    /// <summary>More than <paramref name="count"/> people and more than <paramref name="share"/> of the active ones would leave.</summary>
    public static bool IsMassRemoval(SweepChanges changes, double share, int count) =>
        changes.Deactivate.Count > count && changes.Deactivate.Count > share * changes.ActiveBefore;

    /// <summary>
    /// Of the people about to be deactivated, the Owner to keep: the first (oldest) of
    /// <paramref name="activeOwnersOldestFirst"/> when every active Owner is leaving; null while another stays.
    /// </summary>
    public static T? OwnerToKeep<T>(IReadOnlyList<T> activeOwnersOldestFirst, Func<T, Guid> idOf, IReadOnlyCollection<Guid> deactivating)
        where T : class
    {
        var leaving = deactivating as ISet<Guid> ?? deactivating.ToHashSet();
        return activeOwnersOldestFirst.Count > 0 && activeOwnersOldestFirst.All(o => leaving.Contains(idOf(o))) ? activeOwnersOldestFirst[0] : null;
    }
}

/// <summary>Reads a run's proposed changes back.</summary>
public static class ProposedChange
{
    public static (List<Guid> Deactivate, List<Guid> Reactivate) Parse(string? text)
    {
        var deactivate = new List<Guid>();
        var reactivate = new List<Guid>();
        foreach (var line in (text ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            if (parts.Length == 2 && Guid.TryParse(parts[1], out var id))
            {
                (parts[0] == "deactivate" ? deactivate : reactivate).Add(id);
            }
        }

        return (deactivate, reactivate);
    }
}
