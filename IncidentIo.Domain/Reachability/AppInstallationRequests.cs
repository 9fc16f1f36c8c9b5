using Hangfire;
using IncidentIo.Domain.Audit;
using IncidentIo.Domain.Data;
using Microsoft.EntityFrameworkCore;

namespace IncidentIo.Domain.Reachability;

/// <summary>
/// What people ask of per-user installs (admins and support staff in the portal, the bot when it
/// must message someone): each request is audited with who asked. Callers check the asker may act
/// on the organisation; these take the organisation to make sure the user belongs to it.
/// </summary>
public sealed class AppInstallationRequests(
    IDbContextFactory<IncidentIoDbContext> dbFactory,
    IBackgroundJobClient jobs,
    UserAppInstaller installer,
    TimeProvider clock)
{
    /// <summary>Queues an install for the user (retry, joined, role given, the bot needs them).</summary>
    /// <returns>false when the user is not in that organisation.</returns>
    public async Task<bool> InstallAsync(Guid organizationId, Guid userId, string trigger, string actor, CancellationToken cancellationToken = default)
    {
        if (!await RecordAsync(organizationId, userId, actor, "app-installation.requested", $"Trigger: {trigger}.", cancellationToken))
        {
            return false;
        }

        jobs.Enqueue<AppInstallationJobs>(j => j.InstallUserAsync(userId, trigger, CancellationToken.None));
        return true;
    }

    /// <summary>"Install for everyone" in the organisation.</summary>
    public async Task InstallForEveryoneAsync(Guid organizationId, string actor, CancellationToken cancellationToken = default)
    {
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            db.AuditLog.Add(AuditLogEntry.Record(organizationId, clock.GetUtcNow(), actor, "app-installation.everyone-requested"));
            await db.SaveChangesAsync(cancellationToken);
        }

        jobs.Enqueue<AppInstallationJobs>(j => j.InstallForEveryoneAsync(organizationId, CancellationToken.None));
    }

    /// <summary>"Verify now": asks Graph at once whether our app is installed for the user (no install), and records the answer.</summary>
    /// <returns>The state afterwards, or null when the user is not in that organisation.</returns>
    public async Task<InstallationState?> VerifyNowAsync(Guid organizationId, Guid userId, string actor, CancellationToken cancellationToken = default)
    {
        if (!await RecordAsync(organizationId, userId, actor, "app-installation.verified", null, cancellationToken))
        {
            return null;
        }

        return await installer.RunAsync(userId, "verify", InstallMode.CheckOnly, cancellationToken: cancellationToken);
    }

    private async Task<bool> RecordAsync(Guid organizationId, Guid userId, string actor, string action, string? details, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var user = await db.Users.Where(u => u.Id == userId && u.OrganizationId == organizationId)
            .Select(u => new { u.UserPrincipalName, u.DisplayName }).SingleOrDefaultAsync(cancellationToken);
        if (user is null)
        {
            return false;
        }

        db.AuditLog.Add(AuditLogEntry.Record(organizationId, clock.GetUtcNow(), actor, action, $"{user.UserPrincipalName ?? user.DisplayName}. {details}".Trim()));
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }
}
