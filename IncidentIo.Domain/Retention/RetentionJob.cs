using Hangfire;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Setup;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Retention;

/// <summary>
/// Recurring: removes rows past their use. Each kind is one conditional DELETE, so two runs at once
/// (two workers) only share the work, and a run that stops half-way leaves nothing inconsistent.
/// </summary>
public sealed class RetentionJob(IDbContextFactory<IncidentIoDbContext> dbFactory, IOptions<RetentionOptions> options, TimeProvider clock, ILogger<RetentionJob> logger)
{
    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("Remove expired rows")]
    public async Task<RetentionResult> RunAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = clock.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);

        var tokenCutoff = now - settings.ExpiredTokenCache;
        var tokens = await db.TokenCache.Where(e => e.ExpiresAt < tokenCutoff).ExecuteDeleteAsync(cancellationToken);

        var consentCutoff = now - settings.ConsentRequests;
        var unanswered = await db.ConsentRequests
            .Where(r => r.Outcome == ConsentOutcome.Pending && r.ExpiresAt < consentCutoff)
            .ExecuteDeleteAsync(cancellationToken);
        var answered = await db.ConsentRequests
            .Where(r => r.Outcome != ConsentOutcome.Pending && r.AnsweredAt < consentCutoff
                        && db.ConsentRequests.Any(later => later.OrganizationId == r.OrganizationId && later.Kind == r.Kind
                                                           && later.Outcome != ConsentOutcome.Pending && later.AnsweredAt > r.AnsweredAt))
            .ExecuteDeleteAsync(cancellationToken);

        var activityCutoff = now - settings.BotActivities;
        var activities = await db.BotReceivedActivities.Where(r => r.ReceivedAt < activityCutoff).ExecuteDeleteAsync(cancellationToken);

        var result = new RetentionResult(tokens, unanswered + answered, activities);
        if (result.Total > 0)
        {
            logger.LogInformation(
                "Removed {TokenCache} expired token-cache entries, {ConsentRequests} old consent requests and {BotActivities} remembered bot activity ids",
                result.TokenCacheEntries, result.ConsentRequests, result.BotActivities);
        }

        return result;
    }
}

public sealed record RetentionResult(int TokenCacheEntries, int ConsentRequests, int BotActivities)
{
    public int Total => TokenCacheEntries + ConsentRequests + BotActivities;
}
