using Hangfire;
using IncidentIo.Domain.Audit;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.Reachability;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Identity.Client;

namespace IncidentIo.Domain.Users;

/// <summary>
/// The people picker behind "incident lead": the organisation's active people we know, and, since
/// most leads have never opened our portal, the tenant's directory through Graph
/// (<c>User.ReadBasic.All</c>). Someone picked from the directory becomes a Viewer (a free seat)
/// and our app is installed for them, so the bot can message them.
/// </summary>
public sealed class OrganizationPeople(
    IDbContextFactory<IncidentIoDbContext> dbFactory,
    MainAppTokens tokens,
    IOptions<AppInstallationOptions> installOptions,
    IBackgroundJobClient jobs,
    IServiceProvider services,
    TimeProvider clock,
    ILogger<OrganizationPeople> logger)
{
    /// <summary>Known people whose name or UPN contains <paramref name="text"/>, then directory people whose name or UPN starts with it.</summary>
    public async Task<IReadOnlyList<PersonChoice>> SearchAsync(Guid organizationId, string? text, int take = 20, CancellationToken cancellationToken = default)
    {
        Guid tenantId;
        List<PersonChoice> known;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            tenantId = await db.Organizations.Where(o => o.Id == organizationId).Select(o => o.MicrosoftTenantId).SingleOrDefaultAsync(cancellationToken);
            known = await db.Users.Where(u => u.OrganizationId == organizationId && u.IsActive).Matching(text, db.Database.IsNpgsql())
                .OrderBy(u => u.DisplayName).Take(take)
                .Select(u => new PersonChoice(u.Id, u.MicrosoftObjectId, u.DisplayName, u.UserPrincipalName)).ToListAsync(cancellationToken);
        }

        if (tenantId == Guid.Empty || text?.Trim() is not { Length: >= 2 } prefix || known.Count >= take)
        {
            return known;
        }

        var found = new Dictionary<Guid, PersonChoice>();
        using var graph = new RecordedGraph(services, ct => tokens.AcquireAsync(tenantId, cancellationToken: ct), installOptions.Value.CallTimeout, clock);
        try
        {
            var quoted = prefix.Replace("'", "''", StringComparison.Ordinal);
            foreach (var property in new[] { "displayName", "userPrincipalName" })
            {
                var page = await graph.Client.Users.GetAsync(request =>
                {
                    request.QueryParameters.Filter = $"startswith({property},'{quoted}')";
                    request.QueryParameters.Select = ["id", "displayName", "userPrincipalName"];
                    request.QueryParameters.Top = take;
                }, cancellationToken);
                foreach (var user in page?.Value ?? [])
                {
                    if (Guid.TryParse(user.Id, out var objectId))
                    {
                        found.TryAdd(objectId, new PersonChoice(null, objectId, user.DisplayName ?? user.UserPrincipalName ?? user.Id!, user.UserPrincipalName));
                    }
                }
            }
        }
        catch (Exception error) when (error is ODataError or MsalException or HttpRequestException or TaskCanceledException)
        {
            // The directory is a convenience here: people we know are still offered.
            logger.LogWarning(error, "The directory of tenant {Tenant} could not be searched; offering known people only", tenantId);
        }

        var knownIds = known.Select(k => k.ObjectId).ToHashSet();
        return [.. known.Concat(found.Values.Where(f => !knownIds.Contains(f.ObjectId)).OrderBy(f => f.DisplayName, StringComparer.CurrentCulture)).Take(take)];
    }

    /// <summary>One active member as a choice (the declarer, offered as lead by default); null when not an active member.</summary>
    public async Task<PersonChoice?> FindAsync(Guid organizationId, Guid userId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.Users.Where(u => u.Id == userId && u.OrganizationId == organizationId && u.IsActive)
            .Select(u => new PersonChoice(u.Id, u.MicrosoftObjectId, u.DisplayName, u.UserPrincipalName)).SingleOrDefaultAsync(cancellationToken);
    }

    /// <summary>Our user for <paramref name="person"/>: theirs if we know them, else a new Viewer (audited, our app installed for them).</summary>
    public async Task<Guid> EnsureKnownAsync(Guid organizationId, PersonChoice person, string actor, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var existing = await db.Users.Where(u => u.OrganizationId == organizationId && u.MicrosoftObjectId == person.ObjectId)
            .Select(u => (Guid?)u.Id).SingleOrDefaultAsync(cancellationToken);
        if (existing is { } id)
        {
            return id;
        }

        var organization = await db.Organizations.SingleAsync(o => o.Id == organizationId, cancellationToken);
        var now = clock.GetUtcNow();
        var user = new User
        {
            OrganizationId = organizationId,
            MicrosoftObjectId = person.ObjectId,
            DisplayName = ClippedText.Clip(person.DisplayName, User.DisplayNameMaxLength),
            UserPrincipalName = person.UserPrincipalName is { } upn ? ClippedText.Clip(upn, User.UserPrincipalNameMaxLength) : null,
            CreatedAt = now,
        };
        db.Users.Add(user);
        db.AuditLog.Add(AuditLogEntry.Record(organizationId, now, actor, "user.added", $"{person.DisplayName} added from the directory."));
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Added by someone else at the same moment (the unique index on the object id).
            await using var again = await dbFactory.CreateDbContextAsync(cancellationToken);
            return await again.Users.Where(u => u.OrganizationId == organizationId && u.MicrosoftObjectId == person.ObjectId).Select(u => u.Id).SingleAsync(cancellationToken);
        }

        if (organization.GlobalPermissionsGrantedAt is not null)
        {
            var userId = user.Id;
            jobs.Enqueue<AppInstallationJobs>(j => j.InstallUserAsync(userId, "joined", CancellationToken.None));
        }

        return user.Id;
    }
}

/// <summary>Someone to pick: <see cref="UserId"/> is null for a person only the directory knows so far.</summary>
public sealed record PersonChoice(Guid? UserId, Guid ObjectId, string DisplayName, string? UserPrincipalName)
{
    public string Label => UserPrincipalName is null ? DisplayName : $"{DisplayName} ({UserPrincipalName})";
}
