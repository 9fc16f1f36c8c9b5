using IncidentIo.Domain.Bot.Inbound;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.Retention;
using IncidentIo.Domain.Setup;
using IncidentIo.Domain.Tests.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Tests.Retention;

/// <summary>The recurring cleanup on both database providers: old rows go, fresh ones and the latest consent answers stay.</summary>
public sealed class RetentionJobTests
{
    [Theory]
    [InlineData(DatabaseOptions.Sqlite)]
    [InlineData(DatabaseOptions.Postgres)]
    public async Task Old_rows_go_and_fresh_rows_stay(string provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider);
        await using var services = database.BuildServices();
        await services.GetRequiredService<DatabaseMigrator>().MigrateAsync();
        var dbFactory = services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>();
        var now = DateTimeOffset.UtcNow;
        var organization = new Organization { Name = "Contoso", MicrosoftTenantId = Guid.NewGuid() };
        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            db.Organizations.Add(organization);
            db.TokenCache.AddRange(
                Token("expired-long-ago", now - TimeSpan.FromDays(2)),
                Token("expired-just-now", now - TimeSpan.FromMinutes(5)),
                Token("valid", now + TimeSpan.FromHours(1)));
            db.ConsentRequests.AddRange(
                Consent(organization.Id, ConsentKind.GlobalPermissions, "pending-old", now - TimeSpan.FromDays(40), null, ConsentOutcome.Pending),
                Consent(organization.Id, ConsentKind.GlobalPermissions, "pending-fresh", now - TimeSpan.FromMinutes(10), null, ConsentOutcome.Pending),
                Consent(organization.Id, ConsentKind.GlobalPermissions, "answered-old", now - TimeSpan.FromDays(60), now - TimeSpan.FromDays(60), ConsentOutcome.Failed),
                // The latest answer of its kind stays however old: setup shows it.
                Consent(organization.Id, ConsentKind.GlobalPermissions, "answered-latest", now - TimeSpan.FromDays(50), now - TimeSpan.FromDays(50), ConsentOutcome.Granted),
                Consent(organization.Id, ConsentKind.SetupPermissions, "setup-only-answer", now - TimeSpan.FromDays(90), now - TimeSpan.FromDays(90), ConsentOutcome.Granted));
            db.BotReceivedActivities.AddRange(
                Activity(organization.Id, "old", now - TimeSpan.FromDays(8)),
                Activity(organization.Id, "fresh", now - TimeSpan.FromDays(6)));
            await db.SaveChangesAsync();
        }

        var job = new RetentionJob(dbFactory, Options.Create(new RetentionOptions()), TimeProvider.System, NullLogger<RetentionJob>.Instance);
        var result = await job.RunAsync(CancellationToken.None);

        Assert.Equal(new RetentionResult(TokenCacheEntries: 1, ConsentRequests: 2, BotActivities: 1), result);
        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            Assert.Equal(["expired-just-now", "valid"], await db.TokenCache.OrderBy(e => e.Key).Select(e => e.Key).ToListAsync());
            Assert.Equal(["answered-latest", "pending-fresh", "setup-only-answer"], await db.ConsentRequests.OrderBy(r => r.StateHash).Select(r => r.StateHash).ToListAsync());
            Assert.Equal(["fresh"], await db.BotReceivedActivities.Select(r => r.ActivityId).ToListAsync());
            Assert.Equal(1, await db.Organizations.CountAsync());
        }

        // Nothing left to remove: a second run changes nothing.
        Assert.Equal(0, (await job.RunAsync(CancellationToken.None)).Total);
    }

    [Theory]
    [InlineData("Retention:BotActivities", "00:05:00", "Retention:BotActivities must be between")]
    [InlineData("Retention:ConsentRequests", "00:10:00", "Retention:ConsentRequests must be between")]
    [InlineData("Retention:ExpiredTokenCache", "-00:01:00", "Retention:ExpiredTokenCache must be between")]
    [InlineData("Retention:Schedule", "hourly", "Retention:Schedule must be a cron expression")]
    public void Settings_out_of_range_stop_the_start(string key, string value, string message)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = value }).Build();
        using var services = new ServiceCollection().AddRetentionOptions(configuration).BuildValidated();

        var failure = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<RetentionOptions>>().Value);

        Assert.Contains(message, failure.Message, StringComparison.Ordinal);
    }

    private static TokenCacheEntry Token(string key, DateTimeOffset expiresAt) => new() { Key = key, Value = [1, 2, 3], ExpiresAt = expiresAt };

    private static ConsentRequest Consent(Guid organizationId, ConsentKind kind, string state, DateTimeOffset createdAt, DateTimeOffset? answeredAt, ConsentOutcome outcome) => new()
    {
        OrganizationId = organizationId,
        RequestedByUserId = Guid.NewGuid(),
        Kind = kind,
        StateHash = state,
        CreatedAt = createdAt,
        ExpiresAt = createdAt + ConsentRequest.Lifetime,
        AnsweredAt = answeredAt,
        Outcome = outcome,
    };

    private static BotReceivedActivity Activity(Guid organizationId, string id, DateTimeOffset receivedAt) => new()
    {
        OrganizationId = organizationId, ConversationId = "19:general@thread.tacv2", ActivityId = id, Type = "conversationUpdate", ReceivedAt = receivedAt,
    };
}
