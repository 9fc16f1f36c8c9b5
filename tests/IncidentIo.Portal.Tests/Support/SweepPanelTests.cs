using Bunit;
using IncidentIo.Domain.ActiveUsers;
using IncidentIo.Domain.Changes;
using IncidentIo.Portal.Support;
using Microsoft.Extensions.DependencyInjection;

namespace IncidentIo.Portal.Tests.Support;

/// <summary>The sweep panel of the console: runs, and the review of a quarantined one, for whoever may act on the organisation only.</summary>
public sealed class SweepPanelTests(SupportWorld world) : ValidatedBunitContext, IClassFixture<SupportWorld>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    // MudBlazor's keyboard service can only be disposed asynchronously.
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    [Fact]
    public async Task A_quarantined_run_waits_for_review_and_a_rejection_changes_nobody()
    {
        world.AddTo(this, world.ContosoAdmin);
        var run = await AddRunAsync(world.Contoso, SweepOutcome.Quarantined, "This run would deactivate 40 of 50 active users.");

        var panel = Render<SweepPanel>(p => p.Add(c => c.OrganizationId, world.Contoso).Add(c => c.Who, world.ContosoAdmin));

        var row = panel.FindAll("[data-testid=sweep-run]").Single(r => r.TextContent.Contains("would deactivate 40", StringComparison.Ordinal));
        Assert.Equal("Quarantined", row.GetAttribute("data-outcome"));
        Assert.Contains("Waiting for review", row.TextContent, StringComparison.Ordinal);
        row.QuerySelector("[data-testid=sweep-reject]")!.Click();

        panel.WaitForAssertion(() => Assert.Contains("Rejected: nobody changed.", panel.Find("[data-testid=sweep-message]").TextContent, StringComparison.Ordinal));
        await using var db = world.NewContext();
        var reviewed = db.SweepRuns.Single(r => r.Id == run);
        Assert.Equal(SweepOutcome.Rejected, reviewed.Outcome);
        Assert.Equal("user:admin@contoso.example", reviewed.ReviewedBy);
    }

    [Fact]
    public async Task Another_organisations_admin_can_neither_read_nor_review_its_runs()
    {
        var run = await AddRunAsync(world.Contoso, SweepOutcome.Quarantined, "Waiting.");

        await Assert.ThrowsAsync<SupportAccessDeniedException>(() => world.Console.SweepRunsAsync(world.FabrikamAdmin, world.Contoso));
        await Assert.ThrowsAsync<SupportAccessDeniedException>(() => world.Console.ReviewSweepAsync(world.FabrikamAdmin, world.Contoso, run, allow: true));
        await Assert.ThrowsAsync<SupportAccessDeniedException>(() => world.Console.RunSweepAsync(world.ContosoViewer, world.Contoso, dryRun: true));
        Assert.Null(await world.Console.ReviewSweepAsync(world.FabrikamAdmin, world.Fabrikam, run, allow: true));
        await using var db = world.NewContext();
        Assert.Equal(SweepOutcome.Quarantined, db.SweepRuns.Single(r => r.Id == run).Outcome);
    }

    [Fact]
    public async Task A_run_in_progress_says_where_it_runs_and_run_now_says_it_waits_for_it()
    {
        world.AddTo(this, world.ContosoAdmin);
        await using (var db = world.NewContext())
        {
            db.SweepRuns.Add(new SweepRun
            {
                OrganizationId = world.Contoso, RequestedBy = "schedule", StartedAt = DateTimeOffset.UtcNow, RunBy = "worker host-7:4242", LeaseUntil = DateTimeOffset.UtcNow.AddMinutes(2),
            });
            await db.SaveChangesAsync();
        }

        var panel = Render<SweepPanel>(p => p.Add(c => c.OrganizationId, world.Contoso).Add(c => c.Who, world.ContosoAdmin));

        var row = panel.FindAll("[data-testid=sweep-run]").Single(r => r.GetAttribute("data-outcome") == "Running");
        Assert.Contains("In progress on worker host-7:4242.", row.TextContent, StringComparison.Ordinal);
        panel.Find("[data-testid=sweep-run-now]").Click();
        panel.WaitForAssertion(() => Assert.Contains("A run is already in progress", panel.Find("[data-testid=sweep-message]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public void Staff_see_an_organisation_without_runs_told_so()
    {
        world.AddTo(this, world.Staff);

        var panel = Render<SweepPanel>(p => p.Add(c => c.OrganizationId, world.Fabrikam).Add(c => c.Who, world.Staff));

        Assert.NotNull(panel.Find("[data-testid=sweep-none]"));
    }

    [Fact]
    public async Task A_reread_that_finds_nothing_new_draws_nothing_and_a_new_run_is_drawn()
    {
        world.AddTo(this, world.ContosoAdmin);
        await AddRunAsync(world.Contoso, SweepOutcome.Applied, "First run.");
        var publisher = world.Host.Services.GetRequiredService<IChangePublisher>();
        var shared = world.Host.Services.GetRequiredService<SharedReads>();
        var panel = Render<SweepPanel>(p => p.Add(c => c.OrganizationId, world.Contoso).Add(c => c.Who, world.ContosoAdmin));
        var renders = panel.RenderCount;

        // Told of a change that is not one (as by the safety re-read, every 30 s): it reads again...
        var readsBefore = shared.Started + shared.Joined;
        await publisher.PublishAsync([DataChange.Of(ChangeTopic.SweepRuns, world.Contoso)], CancellationToken.None);
        // Polled: a read that draws nothing gives bUnit no render to wait on.
        var giveUpAt = DateTime.UtcNow.AddSeconds(10);
        while (shared.Started + shared.Joined == readsBefore)
        {
            Assert.True(DateTime.UtcNow < giveUpAt, "The panel did not read again within 10 s of the notification.");
            await Task.Delay(10);
        }

        // ...and draws nothing (a drawing would follow the read within milliseconds; this waits far longer).
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(renders, panel.RenderCount);

        await AddRunAsync(world.Contoso, SweepOutcome.Applied, "Second run.");
        panel.WaitForAssertion(() => Assert.Contains(panel.FindAll("[data-testid=sweep-run]"), r => r.TextContent.Contains("Second run.", StringComparison.Ordinal)));
        Assert.True(panel.RenderCount > renders);
    }

    private async Task<Guid> AddRunAsync(Guid organizationId, SweepOutcome outcome, string reason)
    {
        await using var db = world.NewContext();
        var run = new SweepRun { OrganizationId = organizationId, RequestedBy = "schedule", Outcome = outcome, Reason = reason, StartedAt = DateTimeOffset.UtcNow, ProposedChanges = "" };
        db.SweepRuns.Add(run);
        await db.SaveChangesAsync();
        return run.Id;
    }
}
