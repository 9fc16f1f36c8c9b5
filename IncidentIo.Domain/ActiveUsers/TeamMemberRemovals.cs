using Hangfire;
using IncidentIo.Domain.Data;
using Microsoft.EntityFrameworkCore;

namespace IncidentIo.Domain.ActiveUsers;

/// <summary>
/// The work of a "members removed" event, queued by the bot endpoint once the activity is recorded:
/// Graph is asked, person by person, which other teams of our bot each one is still in, and those in
/// none are deactivated. A large removal would outlast Teams' wait for our answer (Teams would then
/// deliver the event again); here it takes as long as it takes. Running it twice changes nothing more.
/// </summary>
public sealed class TeamMemberRemovals(IDbContextFactory<IncidentIoDbContext> dbFactory, TeamMembershipChanges memberships, TimeProvider clock)
{
    [AutomaticRetry(Attempts = 3)]
    [JobDisplayName("People left team {1}")]
    public async Task ApplyAsync(Guid organizationId, string teamThreadId, Guid[] objectIds, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var organization = await db.Organizations.AsNoTracking().SingleOrDefaultAsync(o => o.Id == organizationId, cancellationToken);
        if (organization is null)
        {
            return;
        }

        var plan = await memberships.PlanRemovalsAsync(db, organization.Id, organization.MicrosoftTenantId, teamThreadId, objectIds, cancellationToken);
        await TeamMembershipChanges.ApplyRemovalsAsync(db, plan, clock.GetUtcNow(), cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
    }
}
