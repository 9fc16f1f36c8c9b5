using Hangfire;
using IncidentIo.Domain.Audit;
using IncidentIo.Domain.Changes;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Users;
using Microsoft.EntityFrameworkCore;

namespace IncidentIo.Domain.Setup.AutomaticInstall;

/// <summary>
/// What the setup page does with the automatic install: start it, retry it, read its progress, and
/// check whether the admin removed the temporary setup app's permissions afterwards.
/// </summary>
public sealed class AutomaticInstalls(
    IDbContextFactory<IncidentIoDbContext> dbFactory,
    IBackgroundJobClient jobs,
    SetupAppTokens setupApp,
    ChangeRecorder changes,
    SharedReads shared,
    TimeProvider clock)
{
    public bool IsAvailable => setupApp.IsConfigured;

    /// <summary>
    /// The organisation's install with its steps, or null when none was started. Every admin's open
    /// setup page reads it after a change: they share one read (<see cref="SharedReads"/>), so the
    /// result is only ever read, never changed.
    /// </summary>
    public Task<AutomaticInstall?> LoadAsync(Guid organizationId, CancellationToken cancellationToken = default) =>
        shared.ReadAsync($"automatic-install:{organizationId}", async ct =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            return await db.AutomaticInstalls.AsNoTracking().Include(i => i.Steps).SingleOrDefaultAsync(i => i.OrganizationId == organizationId, ct);
        }, cancellationToken);

    /// <summary>A cheap read the progress view makes on a change: changes whenever the install does.</summary>
    public Task<DateTimeOffset?> VersionAsync(Guid organizationId, CancellationToken cancellationToken = default) =>
        shared.ReadAsync($"automatic-install-version:{organizationId}", async ct =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            return await db.AutomaticInstalls.Where(i => i.OrganizationId == organizationId).Select(i => (DateTimeOffset?)i.UpdatedAt).SingleOrDefaultAsync(ct);
        }, cancellationToken);

    /// <summary>Starts the install, or resumes the organisation's failed one; a running or finished one is left alone.</summary>
    /// <returns>An error for the admin, or null when the install is running (or done).</returns>
    public async Task<string?> StartAsync(Membership member, CancellationToken cancellationToken = default)
    {
        if (member.User.Role < UserRole.Admin)
        {
            return "Only an admin of your organisation can start the install.";
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var organization = await db.Organizations.SingleAsync(o => o.Id == member.Organization.Id, cancellationToken);
        if (organization.SetupPermissionsGrantedAt is null)
        {
            return "Grant the temporary setup permissions first.";
        }

        var now = clock.GetUtcNow();
        var actor = AuditLogEntry.UserActor(member.User.UserPrincipalName, member.User.MicrosoftObjectId);
        var install = await db.AutomaticInstalls.Include(i => i.Steps).SingleOrDefaultAsync(i => i.OrganizationId == organization.Id, cancellationToken);
        switch (install?.Status)
        {
            case AutomaticInstallStatus.Running or AutomaticInstallStatus.Succeeded:
                return null;
            case AutomaticInstallStatus.Failed:
                install.Retry(now);
                db.AuditLog.Add(AuditLogEntry.Record(organization.Id, now, actor, "setup.automatic-install-retried", $"From: {AutomaticInstallStep.TitleOf(install.NextStep!.Kind)}."));
                break;
            default:
                install = AutomaticInstall.Start(organization.Id, member.User.MicrosoftObjectId, member.User.UserPrincipalName ?? member.User.DisplayName, now);
                db.AutomaticInstalls.Add(install);
                db.AuditLog.Add(AuditLogEntry.Record(organization.Id, now, actor, "setup.automatic-install-started", null));
                break;
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException) when (install.Status == AutomaticInstallStatus.Running)
        {
            // Another admin started it at the same moment (one install per organisation): theirs runs.
            return null;
        }

        var id = install.Id;
        jobs.Enqueue<AutomaticInstallJob>(job => job.RunAsync(id, CancellationToken.None));
        return null;
    }

    /// <summary>Asks Microsoft which of the temporary setup app's permissions the tenant still grants, and records the answer.</summary>
    public async Task<IReadOnlyList<string>> CheckTemporaryPermissionsAsync(Guid organizationId, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var organization = await db.Organizations.SingleAsync(o => o.Id == organizationId, cancellationToken);
        var granted = await setupApp.GrantedAsync(organization.MicrosoftTenantId, cancellationToken);
        var remaining = SetupPermissions.Names.Where(granted.Contains).ToList();
        var now = clock.GetUtcNow();
        await db.AutomaticInstalls.Where(i => i.OrganizationId == organizationId).ExecuteUpdateAsync(s => s
            .SetProperty(i => i.TemporaryPermissionsCheckedAt, now)
            .SetProperty(i => i.TemporaryPermissionsRemoved, remaining.Count == 0)
            .SetProperty(i => i.UpdatedAt, now), cancellationToken);
        await changes.RecordAsync(db, DataChange.Of(ChangeTopic.Setup, organizationId), cancellationToken);
        return remaining;
    }
}
