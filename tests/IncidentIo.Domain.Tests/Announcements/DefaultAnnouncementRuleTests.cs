using IncidentIo.Domain.Announcements;
using IncidentIo.Domain.Bot;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Incidents;
using IncidentIo.Sandbox.State;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

using User = IncidentIo.Domain.Users.User;

namespace IncidentIo.Domain.Tests.Announcements;

/// <summary>
/// The rule setup gives the team it installed our app in: made once Teams has told our bot about the
/// team (whichever of setup, the settings, a declaration or the announcing job comes first), never
/// twice, not again after an admin deleted it, and the first declaration is posted by it.
/// </summary>
public sealed class DefaultAnnouncementRuleTests : IAsyncLifetime
{
    private AnnouncementHarness harness = null!;
    private User admin = null!;

    public async Task InitializeAsync()
    {
        // Our app is in the Incidents team in Teams, but Teams has not told our bot yet (no BotTeam row).
        harness = await AnnouncementHarness.StartAsync(withTeam: false);
        admin = await harness.UserAsync(DemoSeed.AdminId);
    }

    public async Task DisposeAsync() => await harness.DisposeAsync();

    private IDbContextFactory<IncidentIoDbContext> DbFactory => harness.Services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>();

    private async Task<List<AnnouncementRule>> RulesAsync()
    {
        await using var db = await harness.DbAsync();
        return await db.AnnouncementRules.Where(r => r.OrganizationId == harness.OrganizationId).ToListAsync();
    }

    private async Task BotLearnsOfTheTeamAsync()
    {
        await using var db = await harness.DbAsync();
        db.BotTeams.Add(new BotTeam
        {
            Id = harness.BotTeam.Id, OrganizationId = harness.OrganizationId, TeamThreadId = harness.BotTeam.TeamThreadId, GraphTeamId = harness.Team.Id,
            Name = "Incidents", ServiceUrl = harness.BotTeam.ServiceUrl, InstalledAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
        });
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task The_first_declaration_after_setup_is_posted_in_the_incidents_teams_general_channel()
    {
        await DefaultAnnouncementRule.RememberTeamAsync(DbFactory, harness.OrganizationId, harness.Team.Id, DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.Empty(await RulesAsync());

        // Before Teams tells our bot, the person declaring is told the truth: no channel yet.
        var early = await harness.Incidents.DeclareAsync(harness.OrganizationId, admin.Id, new DeclareIncident { Name = "Too early", LeadUserId = admin.Id });
        Assert.Empty(early.AnnouncedIn);
        harness.QueuedUpdates();

        await BotLearnsOfTheTeamAsync();
        var first = await harness.Incidents.DeclareAsync(harness.OrganizationId, admin.Id, new DeclareIncident { Name = "Checkout down", LeadUserId = admin.Id });
        await harness.Jobs.AnnounceAsync(Assert.Single(harness.QueuedUpdates()), CancellationToken.None);

        Assert.Equal(["Incidents › General"], first.AnnouncedIn);
        var rule = Assert.Single(await RulesAsync());
        Assert.Equal((DefaultAnnouncementRule.Name, harness.BotTeam.TeamThreadId, "General", true, true), (rule.Name, rule.ChannelConversationId, rule.ChannelName, rule.OnDeclared, rule.OnResolved));
        var card = Assert.Single(await harness.DeliveriesAsync(first.Incident!.Id), d => d.Kind == DeliveryKind.ChannelCard);
        Assert.Equal((DeliveryState.Sent, harness.BotTeam.TeamThreadId), (card.State, card.ConversationId));
    }

    [Fact]
    public async Task The_announcing_job_makes_the_rule_when_teams_told_our_bot_after_the_declaration()
    {
        await DefaultAnnouncementRule.RememberTeamAsync(DbFactory, harness.OrganizationId, harness.Team.Id, DateTimeOffset.UtcNow, CancellationToken.None);
        var declared = await harness.Incidents.DeclareAsync(harness.OrganizationId, admin.Id, new DeclareIncident { Name = "Checkout down", LeadUserId = admin.Id });
        await BotLearnsOfTheTeamAsync();

        await harness.Jobs.AnnounceAsync(Assert.Single(harness.QueuedUpdates()), CancellationToken.None);

        Assert.Single(await RulesAsync());
        Assert.Contains(await harness.DeliveriesAsync(declared.Incident!.Id), d => d.Kind == DeliveryKind.ChannelCard && d.State == DeliveryState.Sent);
    }

    [Fact]
    public async Task Made_once_however_many_ask_at_the_same_moment_and_never_again_after_an_admin_deleted_it()
    {
        await DefaultAnnouncementRule.RememberTeamAsync(DbFactory, harness.OrganizationId, harness.Team.Id, DateTimeOffset.UtcNow, CancellationToken.None);
        await BotLearnsOfTheTeamAsync();
        var made = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            Task.Run(() => DefaultAnnouncementRule.EnsureAsync(DbFactory, harness.OrganizationId, DateTimeOffset.UtcNow, CancellationToken.None))));

        Assert.Single(made, m => m);
        var rule = Assert.Single(await RulesAsync());

        // A second setup check naming another team changes nothing: the first team told wins.
        await DefaultAnnouncementRule.RememberTeamAsync(DbFactory, harness.OrganizationId, Guid.NewGuid(), DateTimeOffset.UtcNow, CancellationToken.None);
        Assert.Null(await harness.Settings.DeleteAsync(harness.OrganizationId, admin.Id, rule.Id));
        Assert.False(await DefaultAnnouncementRule.EnsureAsync(DbFactory, harness.OrganizationId, DateTimeOffset.UtcNow, CancellationToken.None));
        Assert.Empty((await harness.Settings.LoadAsync(harness.OrganizationId, admin.Id))!.Rules);

        await using var db = await harness.DbAsync();
        Assert.Equal(1, await db.AuditLog.CountAsync(a => a.OrganizationId == harness.OrganizationId && a.Actor == DefaultAnnouncementRule.Actor));
    }
}
