using System.Globalization;
using System.Text;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Users;
using Microsoft.EntityFrameworkCore;

namespace IncidentIo.Domain.Reachability;

/// <summary>
/// The support console's reads: who in an organisation our bot can reach, and why not. Every
/// query takes the organisation and never returns anyone outside it; callers decide who may ask
/// about which organisation. Lists are paged, sorted, filtered and searched in the database, so
/// they stay fast with 100,000 people in one organisation.
/// </summary>
public sealed class ReachabilityDirectory(IDbContextFactory<IncidentIoDbContext> dbFactory)
{
    public const int MaxPageSize = 200;

    /// <summary>Searches matching at most this many people read their page by sorting the matches, not by walking the order.</summary>
    public const int SortMatchesUpTo = 20_000;

    /// <summary>Attempts shown on a user's page, newest first.</summary>
    public const int HistoryLength = 50;

    /// <summary>
    /// One page of an organisation's people with their installation state, and how many match in
    /// all (a separate count). Pages are read by keyset: the first, the one after or before a
    /// row's cursor, or the last; never by skipping rows.
    /// </summary>
    public async Task<ReachabilityPage> ListAsync(Guid organizationId, ReachabilityQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        if ((query.After is not null ? 1 : 0) + (query.Before is not null ? 1 : 0) + (query.Last ? 1 : 0) > 1)
        {
            throw new ArgumentException("Ask for the page after a row, before a row or the last page: one of them.", nameof(query));
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var users = Filter(db.Users.AsNoTracking().Where(u => u.OrganizationId == organizationId), query, db.Database.IsNpgsql());
        var total = await users.CountAsync(cancellationToken);
        if (total == 0)
        {
            return new ReachabilityPage([], 0, null, null, false, false);
        }

        // A search's matches may all lie late in the order (everyone called Margaret J…), where a
        // walk of the ordered index reads most of the organisation to find one page. The count
        // above has just fetched every match through the trigram indexes; fetching and sorting
        // them again costs about as much, so up to SortMatchesUpTo that is the page read instead.
        var sortMatches = query.Search is not null && total <= SortMatchesUpTo ? organizationId : (Guid?)null;
        var (rows, more) = await ReachabilityKeyset.ReadAsync(users, query, Math.Clamp(query.Take, 1, MaxPageSize), sortMatches, cancellationToken);
        var backward = query.Before is not null || query.Last;
        var fromCursor = query.After is not null || query.Before is not null;
        return new ReachabilityPage(
            [.. rows.Select(r => r.Row)],
            total,
            rows.Count > 0 ? rows[0].Cursor : null,
            rows.Count > 0 ? rows[^1].Cursor : null,
            HasPrevious: backward ? more : fromCursor,
            HasNext: backward ? query.Before is not null : more);
    }

    /// <summary>
    /// How many people are in each state, active and deactivated, in one grouped query. Its
    /// <see cref="ReachabilityCounts.Version"/> changes whenever an installation changes, so a
    /// page that polls this knows when to read its rows again.
    /// </summary>
    public async Task<ReachabilityCounts> CountsAsync(Guid organizationId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = db.Database.IsNpgsql() ? await db.Database.BeginTransactionAsync(cancellationToken) : null;
        if (transaction is not null)
        {
            // ix_users_installation_counts holds every column read here, in group order: one
            // index-only scan and no sort, about 2.5x faster than the table or bitmap scan with a
            // hash aggregate that PostgreSQL's default costs prefer (they price an index page as a
            // random disk read, and recent writes as heap visits), and 4x faster than a plain scan
            // of another index of the organisation, which it chose over the index-only scan while
            // the table's pages were not yet marked all-visible. One process, no parallel workers:
            // they cost more than they save on a scan this size. No JIT: the plans priced with the
            // other scans turned off pass jit_above_cost, and compiling took 110 of the 145 ms at
            // 100,000 people. For this transaction only.
            await db.Database.ExecuteSqlRawAsync(
                "SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_indexscan = off; SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off",
                cancellationToken);
        }

        // SQL of our own: EF Core turns each aggregate over an owned type's columns into a
        // correlated subquery (one more pass over the organisation per aggregate, 10x slower at
        // 100,000 people). This reads the same on both databases: the version is text made of
        // the newest change, verification and next attempt (whatever their storage) and the
        // number of failed tries, per group.
        var groups = await db.Database.SqlQuery<CountRow>(
            $"""
             SELECT app_installation_state AS "State", is_active AS "IsActive", count(*) AS "Count",
                    sum(CASE WHEN bot_team_name IS NULL THEN 0 ELSE 1 END) AS "InBotTeam",
                    COALESCE(CAST(max(app_installation_changed_at) AS TEXT), '-') || '|' ||
                    COALESCE(CAST(max(app_installation_verified_at) AS TEXT), '-') || '|' ||
                    COALESCE(CAST(max(app_installation_next_attempt_at) AS TEXT), '-') || '|' ||
                    CAST(sum(app_installation_attempts) AS TEXT) AS "Version"
             FROM users
             WHERE organization_id = {organizationId}
             GROUP BY app_installation_state, is_active
             """).ToListAsync(cancellationToken);
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }

        var byState = Enum.GetValues<InstallationState>().ToDictionary(s => s, _ => 0);
        var active = 0;
        var deactivated = 0;
        var reachable = 0;
        var throughTeam = 0;
        var version = new StringBuilder();
        foreach (var group in groups.OrderBy(g => g.State, StringComparer.Ordinal).ThenBy(g => g.IsActive))
        {
            var state = Enum.Parse<InstallationState>(group.State);
            var count = (int)group.Count;
            byState[state] += count;
            if (group.IsActive)
            {
                active += count;
                reachable += state == InstallationState.Installed ? count : 0;
                throughTeam += state == InstallationState.Installed ? 0 : (int)group.InBotTeam;
            }
            else
            {
                deactivated += count;
            }

            version.Append(CultureInfo.InvariantCulture, $"{group.State}/{group.IsActive}:{count}:{group.InBotTeam}:{group.Version};");
        }

        return new ReachabilityCounts(byState, active, deactivated, reachable + throughTeam, version.ToString()) { ReachableThroughTeam = throughTeam };
    }

    /// <summary>One person of the organisation with their installation and the last <see cref="HistoryLength"/> attempts, newest first; null when they are not in it.</summary>
    public async Task<ReachabilityDetail?> FindAsync(Guid organizationId, Guid userId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var user = await db.Users.AsNoTracking().Include(u => u.Organization)
            .SingleOrDefaultAsync(u => u.Id == userId && u.OrganizationId == organizationId, cancellationToken);
        if (user is null)
        {
            return null;
        }

        var attempts = db.AppInstallationAttempts.AsNoTracking().Where(a => a.UserId == userId && a.OrganizationId == organizationId);
        var history = await attempts.OrderByDescending(a => a.At).ThenByDescending(a => a.Id).Take(HistoryLength).ToListAsync(cancellationToken);
        var historyCount = await attempts.CountAsync(cancellationToken);
        return new ReachabilityDetail(user, user.Organization!.Name, user.Organization.MicrosoftTenantId, history, historyCount);
    }

    /// <summary>
    /// A cheap read of what a user's page shows (the installation and the number of attempts):
    /// the page reads everything again only when this changed. Null when the user is not in the organisation.
    /// </summary>
    public async Task<InstallationVersion?> VersionAsync(Guid organizationId, Guid userId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Users.AsNoTracking()
            .Where(u => u.Id == userId && u.OrganizationId == organizationId)
            .Select(u => new InstallationVersion(
                u.AppInstallation.State, u.AppInstallation.ChangedAt, u.AppInstallation.VerifiedAt, u.AppInstallation.NextAttemptAt,
                u.AppInstallation.Attempts, u.AppInstallation.LastStatus, u.AppInstallation.LastRequestId, u.IsActive, u.Role,
                db.AppInstallationAttempts.Count(a => a.UserId == userId)))
            .SingleOrDefaultAsync(cancellationToken);
    }

    /// <summary>Active people of the organisation our bot can reach, most recently confirmed first: someone to compare a user with.</summary>
    public async Task<IReadOnlyList<ReachabilityRow>> ReachablePeersAsync(Guid organizationId, Guid excludingUserId, int take = 20, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Users.AsNoTracking()
            .Where(u => u.OrganizationId == organizationId && u.Id != excludingUserId && u.IsActive && u.AppInstallation.State == InstallationState.Installed)
            .OrderBy(u => u.AppInstallation.VerifiedAt == null ? 1 : 0).ThenByDescending(u => u.AppInstallation.VerifiedAt).ThenBy(u => u.DisplayName)
            .Take(Math.Clamp(take, 1, MaxPageSize))
            .Select(u => new ReachabilityRow(
                u.Id, u.DisplayName, u.UserPrincipalName, u.Role, u.IsActive, u.AppInstallation.State,
                u.AppInstallation.ChangedAt, u.AppInstallation.NextAttemptAt, u.AppInstallation.VerifiedAt))
            .ToListAsync(cancellationToken);
    }

    /// <summary>The organisation a user belongs to (for staff, who may look at anyone), or null for an unknown id.</summary>
    public async Task<Guid?> OrganizationOfAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Users.Where(u => u.Id == userId).Select(u => (Guid?)u.OrganizationId).SingleOrDefaultAsync(cancellationToken);
    }

    /// <summary>Organisations whose name contains <paramref name="search"/> (or whose tenant id it is), by name; all of them (up to <paramref name="take"/>) without a search.</summary>
    public async Task<IReadOnlyList<OrganizationChoice>> OrganizationsAsync(string? search, int take = 20, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var organizations = db.Organizations.AsNoTracking();
        if (search?.Trim() is { Length: > 0 } text)
        {
            var pattern = UserSearch.ContainsPattern(text);
            organizations = Guid.TryParse(text, out var tenantId)
                ? organizations.Where(o => o.MicrosoftTenantId == tenantId || o.Id == tenantId)
#pragma warning disable CA1304, CA1311 // Translated to SQL lower(): it runs in the database, where .NET cultures do not apply.
                : organizations.Where(o => EF.Functions.Like(o.Name.ToLower(), pattern, LikeEscape));
#pragma warning restore CA1304, CA1311
        }

        return await organizations.OrderBy(o => o.Name).ThenBy(o => o.Id)
            .Take(Math.Clamp(take, 1, MaxPageSize))
            .Select(o => new OrganizationChoice(o.Id, o.Name, o.MicrosoftTenantId))
            .ToListAsync(cancellationToken);
    }

    /// <summary>The organisation's name and tenant, or null when there is none with that id.</summary>
    public async Task<OrganizationChoice?> OrganizationAsync(Guid organizationId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Organizations.AsNoTracking().Where(o => o.Id == organizationId)
            .Select(o => new OrganizationChoice(o.Id, o.Name, o.MicrosoftTenantId)).SingleOrDefaultAsync(cancellationToken);
    }

    private const string LikeEscape = UserSearch.LikeEscape;

    /// <summary>One (state, active) group of <see cref="CountsAsync"/>.</summary>
    private sealed class CountRow
    {
        public required string State { get; init; }

        public bool IsActive { get; init; }

        public long Count { get; init; }

        public long InBotTeam { get; init; }

        public string? Version { get; init; }
    }

    private static IQueryable<User> Filter(IQueryable<User> users, ReachabilityQuery query, bool postgres)
    {
        if (query.State is { } state)
        {
            users = users.Where(u => u.AppInstallation.State == state);
        }

        if (query.Role is { } role)
        {
            users = users.Where(u => u.Role == role);
        }

        if (query.Active is { } active)
        {
            users = users.Where(u => u.IsActive == active);
        }

        return users.Matching(query.Search, postgres);
    }
}

/// <summary>What the console's list asks for: filters, a search (name or UPN, any part, any case), the order and the page.</summary>
public sealed record ReachabilityQuery
{
    public string? Search { get; init; }

    public InstallationState? State { get; init; }

    public UserRole? Role { get; init; }

    /// <summary>true: active people only; false: deactivated only; null: both.</summary>
    public bool? Active { get; init; }

    public ReachabilitySort Sort { get; init; } = ReachabilitySort.Name;

    public bool Descending { get; init; }

    public int Take { get; init; } = 50;

    /// <summary>The page after this row (from <see cref="ReachabilityPage.LastCursor"/>).</summary>
    public ReachabilityCursor? After { get; init; }

    /// <summary>The page before this row (from <see cref="ReachabilityPage.FirstCursor"/>).</summary>
    public ReachabilityCursor? Before { get; init; }

    /// <summary>The last <see cref="Take"/> rows of the order.</summary>
    public bool Last { get; init; }
}

public enum ReachabilitySort
{
    Name,
    UserPrincipalName,
    State,
    Role,
    Changed,
}

public sealed record ReachabilityRow(
    Guid UserId,
    string DisplayName,
    string? UserPrincipalName,
    UserRole Role,
    bool IsActive,
    InstallationState State,
    DateTimeOffset? ChangedAt,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset? VerifiedAt);

/// <param name="Total">Everyone matching the filters and search (an exact count).</param>
/// <param name="FirstCursor">Ask for the page before this one with it.</param>
/// <param name="LastCursor">Ask for the page after this one with it.</param>
public sealed record ReachabilityPage(
    IReadOnlyList<ReachabilityRow> Items, int Total, ReachabilityCursor? FirstCursor, ReachabilityCursor? LastCursor, bool HasPrevious, bool HasNext);

/// <param name="ReachableActive">
/// Active people the bot can message: their installation is confirmed, or they are in a team with
/// our bot (Teams lets a bot message members of its teams without a personal install:
/// https://learn.microsoft.com/en-us/microsoftteams/platform/bots/how-to/conversations/send-proactive-messages).
/// </param>
/// <param name="Version">Changes whenever any count or installation of the organisation changes.</param>
public sealed record ReachabilityCounts(IReadOnlyDictionary<InstallationState, int> ByState, int Active, int Deactivated, int ReachableActive, string Version)
{
    public int Total => Active + Deactivated;

    /// <summary>Of <see cref="ReachableActive"/>, those reached only through a team with our bot (no confirmed install of their own).</summary>
    public int ReachableThroughTeam { get; init; }
}

/// <param name="User">The person, untracked, with their installation.</param>
/// <param name="History">The last <see cref="ReachabilityDirectory.HistoryLength"/> attempts, newest first.</param>
/// <param name="HistoryCount">All attempts ever recorded for the person.</param>
public sealed record ReachabilityDetail(User User, string OrganizationName, Guid TenantId, IReadOnlyList<AppInstallationAttempt> History, int HistoryCount)
{
    public Guid OrganizationId => User.OrganizationId;

    public UserAppInstallation Installation => User.AppInstallation;
}

/// <summary>Everything about a user's installation that their page shows; compared by value.</summary>
public sealed record InstallationVersion(
    InstallationState State,
    DateTimeOffset? ChangedAt,
    DateTimeOffset? VerifiedAt,
    DateTimeOffset? NextAttemptAt,
    int Attempts,
    int? LastStatus,
    string? LastRequestId,
    bool IsActive,
    UserRole Role,
    int HistoryCount);

public sealed record OrganizationChoice(Guid Id, string Name, Guid TenantId);
