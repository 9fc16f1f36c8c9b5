using IncidentIo.Domain.ActiveUsers;
using IncidentIo.Domain.Changes;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace IncidentIo.Domain.Tests.Changes;

/// <summary>The embedded default (SQLite, in-process): saves announce what they changed, after the commit and only then.</summary>
public sealed class ChangeRecorderTests : IAsyncLifetime
{
    private readonly string dataFolder = Directory.CreateTempSubdirectory("incidentio-changes-").FullName;
    private IHost host = null!;
    private Guid contoso;

    private ChangeFeed Feed => host.Services.GetRequiredService<ChangeFeed>();

    public async Task InitializeAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["DataFolder"] = dataFolder;
        builder.AddIncidentIoDomain("portal", runJobServer: false);
        host = builder.Build();
        await host.Services.PrepareIncidentIoAsync();
        await using var db = NewContext();
        var now = DateTimeOffset.UtcNow;
        var organization = new Organization { Name = "Contoso", MicrosoftTenantId = Guid.NewGuid(), CreatedAt = now, UpdatedAt = now };
        db.Organizations.Add(organization);
        await db.SaveChangesAsync();
        contoso = organization.Id;
    }

    public Task DisposeAsync()
    {
        host.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(dataFolder, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_saved_run_signals_its_organisations_followers_of_sweep_runs_only()
    {
        using var runs = Feed.Subscribe(contoso, ChangeTopic.SweepRuns);
        using var elsewhere = Feed.Subscribe(Guid.NewGuid(), ChangeTopic.SweepRuns);
        using var incidents = Feed.Subscribe(contoso, ChangeTopic.Incidents);

        await using (var db = NewContext())
        {
            db.SweepRuns.Add(Run());
            await db.SaveChangesAsync();
        }

        Assert.True(runs.IsSignalled);
        Assert.False(elsewhere.IsSignalled);
        Assert.False(incidents.IsSignalled);
    }

    [Fact]
    public async Task Inside_a_transaction_nothing_is_announced_before_the_commit_and_nothing_after_a_rollback()
    {
        using var runs = Feed.Subscribe(contoso, ChangeTopic.SweepRuns);
        var before = Feed.Delivered;

        await using (var db = NewContext())
        {
            await using var transaction = await db.Database.BeginTransactionAsync();
            db.SweepRuns.Add(Run());
            await db.SaveChangesAsync();
            Assert.Equal(before, Feed.Delivered);
            await transaction.RollbackAsync();
        }

        Assert.Equal(before, Feed.Delivered);
        Assert.False(runs.IsSignalled);
        await using (var db = NewContext())
        {
            Assert.Equal(0, await db.SweepRuns.CountAsync(r => r.OrganizationId == contoso && r.RequestedBy == "transaction"));
            await using var transaction = await db.Database.BeginTransactionAsync();
            db.SweepRuns.Add(Run());
            await db.SaveChangesAsync();
            Assert.Equal(before, Feed.Delivered);
            await transaction.CommitAsync();
        }

        Assert.Equal(before + 1, Feed.Delivered);
        Assert.True(runs.IsSignalled);
    }

    [Fact]
    public async Task A_lease_renewal_alone_announces_nothing()
    {
        var run = Run();
        await using (var db = NewContext())
        {
            db.SweepRuns.Add(run);
            await db.SaveChangesAsync();
        }

        var before = Feed.Delivered;
        await using (var db = NewContext())
        {
            var row = await db.SweepRuns.SingleAsync(r => r.Id == run.Id);
            row.LeaseUntil = DateTimeOffset.UtcNow.AddMinutes(5);
            await db.SaveChangesAsync();
        }

        Assert.Equal(before, Feed.Delivered);
    }

    [Fact]
    public async Task Saving_many_new_people_looks_through_the_tracked_rows_a_fixed_number_of_times_and_announces_their_organisation()
    {
        using var installs = Feed.Subscribe(contoso, ChangeTopic.Installs);
        using var people = Feed.Subscribe(contoso, ChangeTopic.People);
        var detections = new Dictionary<int, int>();
        foreach (var count in new[] { 10, 400 })
        {
            await using var db = NewContext();
            for (var i = 0; i < count; i++)
            {
                db.Users.Add(new User { OrganizationId = contoso, MicrosoftObjectId = Guid.NewGuid(), DisplayName = $"Person {count}-{i}" });
            }

            // Each person's installation is a row of its own in the tracker, owned by the person:
            // finding its organisation must not look through every tracked row again.
            var passes = 0;
            db.ChangeTracker.DetectingAllChanges += (_, _) => passes++;
            await db.SaveChangesAsync();
            detections[count] = passes;
        }

        Assert.Equal(detections[10], detections[400]);
        Assert.InRange(detections[400], 1, 3);
        Assert.True(installs.IsSignalled);
        Assert.True(people.IsSignalled);
    }

    private SweepRun Run() => new()
    {
        OrganizationId = contoso, RequestedBy = "transaction", Outcome = SweepOutcome.Applied, StartedAt = DateTimeOffset.UtcNow, FinishedAt = DateTimeOffset.UtcNow,
    };

    private IncidentIoDbContext NewContext() => host.Services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>().CreateDbContext();
}
