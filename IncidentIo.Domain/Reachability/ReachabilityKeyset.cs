using System.Linq.Expressions;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Users;
using Microsoft.EntityFrameworkCore;

namespace IncidentIo.Domain.Reachability;

/// <summary>
/// Where a page of the support console's list starts or ends: the sort key and id of one row, in
/// one order. The next page is everything after the last row's cursor; the previous page
/// everything before the first row's. Reads seek to the cursor through an index, so page 2,000
/// costs what page 2 does.
/// </summary>
/// <param name="Segment">Which part of the order the row is in (see <see cref="ReachabilityKeyset"/>).</param>
public sealed record ReachabilityCursor(ReachabilitySort Sort, bool Descending, int Segment, string? Text, DateTimeOffset? At, Guid Id);

/// <summary>
/// Keyset reads for every order of the console's list. Each order is a series of segments, each a
/// simple filter with one sort key that an index of (organisation, [state or role], key, id)
/// serves: by state is one segment per state in the enum's order, by UPN or last change puts
/// the people without one in a last segment (by id), so empty values come last either way. A
/// page reads segment after segment until it is full; a backward read (previous or last page)
/// walks the same segments the other way and turns the rows round.
/// </summary>
internal static class ReachabilityKeyset
{
    private enum Key
    {
        Name,
        UserPrincipalName,
        Changed,

        /// <summary>Among people without the sort key: the id alone, which the same index orders.</summary>
        Id,
    }

    /// <param name="State">Set when the segment holds one state only (a state filter skips the others).</param>
    /// <param name="Role">Set when the segment holds one role only.</param>
    private sealed record Segment(int Index, Expression<Func<User, bool>>? Where, Key Key, InstallationState? State = null, UserRole? Role = null);

    private static readonly Segment[] ByName = [new(0, null, Key.Name)];

    private static readonly Segment[] ByUserPrincipalName =
    [
        new(0, u => u.UserPrincipalName != null, Key.UserPrincipalName),
        new(1, u => u.UserPrincipalName == null, Key.Id),
    ];

    private static readonly Segment[] ByChange =
    [
        new(0, u => u.AppInstallation.ChangedAt != null, Key.Changed),
        new(1, u => u.AppInstallation.ChangedAt == null, Key.Id),
    ];

    private static readonly Segment[] ByState = [.. Enum.GetValues<InstallationState>().Order().Select((state, i) => new Segment(i, StateIs(state), Key.Name, State: state))];

    private static readonly Segment[] ByRole = [.. Enum.GetValues<UserRole>().Order().Select((role, i) => new Segment(i, RoleIs(role), Key.Name, Role: role))];

    /// <summary>Up to <paramref name="take"/> rows of <paramref name="users"/> (already filtered) around the query's cursor, in display order.</summary>
    /// <param name="sortMatchesOf">
    /// Set (to the organisation read) when the filtered rows are few: each segment is then read by
    /// fetching its matches and sorting them, instead of walking the order's index and skipping
    /// whatever does not match.
    /// </param>
    /// <returns>The rows with their cursors, and whether more rows lie beyond them in the direction read.</returns>
    public static async Task<(IReadOnlyList<(ReachabilityCursor Cursor, ReachabilityRow Row)> Rows, bool More)> ReadAsync(
        IQueryable<User> users, ReachabilityQuery query, int take, Guid? sortMatchesOf, CancellationToken cancellationToken)
    {
        var backward = query.Before is not null || query.Last;
        var cursor = query.After ?? query.Before;
        var segments = SegmentsOf(query);
        if (backward)
        {
            segments.Reverse();
        }

        var start = 0;
        if (cursor is not null)
        {
            start = segments.FindIndex(s => s.Index == cursor.Segment);
            if (cursor.Sort != query.Sort || cursor.Descending != query.Descending || start < 0)
            {
                throw new ArgumentException("The page cursor belongs to another order or filter: start again from the first page.", nameof(query));
            }
        }

        // Within a segment, reading backward is reading the other way round.
        var descending = query.Descending != backward;
        var rows = new List<(ReachabilityCursor, ReachabilityRow)>(take + 1);
        foreach (var segment in segments.Skip(start))
        {
            var inSegment = segment.Where is null ? users : users.Where(segment.Where);
            if (cursor is not null && segment.Index == cursor.Segment)
            {
                inSegment = inSegment.Where(Beyond(segment.Key, cursor, descending));
            }

            var found = await Ordered(inSegment, segment.Key, descending, sortMatchesOf)
                .Take(take + 1 - rows.Count)
                .Select(u => new ReachabilityRow(
                    u.Id, u.DisplayName, u.UserPrincipalName, u.Role, u.IsActive, u.AppInstallation.State,
                    u.AppInstallation.ChangedAt, u.AppInstallation.NextAttemptAt, u.AppInstallation.VerifiedAt))
                .ToListAsync(cancellationToken);
            rows.AddRange(found.Select(r => (CursorOf(query, segment, r), r)));
            if (rows.Count > take)
            {
                break;
            }
        }

        var more = rows.Count > take;
        if (more)
        {
            rows.RemoveAt(rows.Count - 1);
        }

        if (backward)
        {
            rows.Reverse();
        }

        return (rows, more);
    }

    /// <summary>The segments of the query's order, in display order; those a state or role filter rules out are left out.</summary>
    private static List<Segment> SegmentsOf(ReachabilityQuery query)
    {
        var all = query.Sort switch
        {
            ReachabilitySort.UserPrincipalName => ByUserPrincipalName,
            ReachabilitySort.Changed => ByChange,
            ReachabilitySort.State => ByState,
            ReachabilitySort.Role => ByRole,
            _ => ByName,
        };
        var segments = all
            .Where(s => (s.State is null || query.State is null || s.State == query.State) && (s.Role is null || query.Role is null || s.Role == query.Role))
            .ToList();
        // Enum orders turn round when descending; missing values stay last either way.
        if (query.Descending && query.Sort is ReachabilitySort.State or ReachabilitySort.Role)
        {
            segments.Reverse();
        }

        return segments;
    }

    private static ReachabilityCursor CursorOf(ReachabilityQuery query, Segment segment, ReachabilityRow row) => segment.Key switch
    {
        Key.UserPrincipalName => new(query.Sort, query.Descending, segment.Index, row.UserPrincipalName, null, row.UserId),
        Key.Changed => new(query.Sort, query.Descending, segment.Index, null, row.ChangedAt, row.UserId),
        Key.Id => new(query.Sort, query.Descending, segment.Index, null, null, row.UserId),
        _ => new(query.Sort, query.Descending, segment.Index, row.DisplayName, null, row.UserId),
    };

    private static IOrderedQueryable<User> Ordered(IQueryable<User> users, Key key, bool descending, Guid? sortMatchesOf) => key switch
    {
        Key.UserPrincipalName => ThenById(By(users, u => u.UserPrincipalName, descending, sortMatchesOf), descending),
        Key.Changed => ThenById(By(users, u => u.AppInstallation.ChangedAt, descending, sortMatchesOf), descending),
        Key.Id => By(users, u => u.Id, descending, sortMatchesOf),
        _ => ThenById(By(users, u => u.DisplayName, descending, sortMatchesOf), descending),
    };

    private static IOrderedQueryable<User> By<TKey>(IQueryable<User> users, Expression<Func<User, TKey>> key, bool descending, Guid? sortMatchesOf)
    {
        if (sortMatchesOf is not { } organizationId)
        {
            return descending ? users.OrderByDescending(key) : users.OrderBy(key);
        }

        // First a sort key that every row shares but no index provides: the planner can no longer
        // take rows in order from an index, so it fetches the matches the cheapest way (the trigram
        // indexes) and sorts those few.
        var shared = users.OrderBy(u => u.OrganizationId == organizationId ? 0 : 1);
        return descending ? shared.ThenByDescending(key) : shared.ThenBy(key);
    }

    private static IOrderedQueryable<User> ThenById(IOrderedQueryable<User> users, bool descending) =>
        descending ? users.ThenByDescending(u => u.Id) : users.ThenBy(u => u.Id);

    /// <summary>
    /// Rows strictly past the cursor in the direction read. Written as "key at or past the
    /// cursor's, and past it or a later id" so that both databases seek the index on the key and
    /// check the id only among rows with the same key.
    /// </summary>
#pragma warning disable CA1307, CA1309, CA1310 // string.Compare(a, b) is translated to SQL's own comparison, the one ORDER BY uses.
    private static Expression<Func<User, bool>> Beyond(Key key, ReachabilityCursor cursor, bool descending)
    {
        var id = cursor.Id;
        switch (key)
        {
            case Key.Id:
                return descending ? u => KeysetFunctions.IdBefore(u.Id, id) : u => KeysetFunctions.IdAfter(u.Id, id);
            case Key.Changed:
                var at = cursor.At ?? throw new ArgumentException("The page cursor has no time of last change.", nameof(cursor));
                return descending
                    ? u => u.AppInstallation.ChangedAt <= at && (u.AppInstallation.ChangedAt < at || KeysetFunctions.IdBefore(u.Id, id))
                    : u => u.AppInstallation.ChangedAt >= at && (u.AppInstallation.ChangedAt > at || KeysetFunctions.IdAfter(u.Id, id));
            case Key.UserPrincipalName:
                var upn = cursor.Text ?? throw new ArgumentException("The page cursor has no UPN.", nameof(cursor));
                return descending
                    ? u => string.Compare(u.UserPrincipalName, upn) <= 0 && (string.Compare(u.UserPrincipalName, upn) < 0 || KeysetFunctions.IdBefore(u.Id, id))
                    : u => string.Compare(u.UserPrincipalName, upn) >= 0 && (string.Compare(u.UserPrincipalName, upn) > 0 || KeysetFunctions.IdAfter(u.Id, id));
            default:
                var name = cursor.Text ?? throw new ArgumentException("The page cursor has no name.", nameof(cursor));
                return descending
                    ? u => string.Compare(u.DisplayName, name) <= 0 && (string.Compare(u.DisplayName, name) < 0 || KeysetFunctions.IdBefore(u.Id, id))
                    : u => string.Compare(u.DisplayName, name) >= 0 && (string.Compare(u.DisplayName, name) > 0 || KeysetFunctions.IdAfter(u.Id, id));
        }
    }

#pragma warning restore CA1307, CA1309, CA1310

    private static Expression<Func<User, bool>> StateIs(InstallationState state) => u => u.AppInstallation.State == state;

    private static Expression<Func<User, bool>> RoleIs(UserRole role) => u => u.Role == role;
}
