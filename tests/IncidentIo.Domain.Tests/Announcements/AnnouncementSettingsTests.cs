using IncidentIo.Domain.Announcements;
using IncidentIo.Domain.Bot;
using IncidentIo.Domain.Incidents;
using IncidentIo.Domain.Users;
using IncidentIo.Sandbox.State;
using Microsoft.EntityFrameworkCore;

using User = IncidentIo.Domain.Users.User;

namespace IncidentIo.Domain.Tests.Announcements;

/// <summary>Rules are the organisation's admins' to change, checked in the service; bad rules get clear errors.</summary>
public sealed class AnnouncementSettingsTests : IAsyncLifetime
{
    private AnnouncementHarness harness = null!;
    private User admin = null!;
    private User uma = null!;

    public async Task InitializeAsync()
    {
        harness = await AnnouncementHarness.StartAsync();
        admin = await harness.UserAsync(DemoSeed.AdminId);
        uma = await harness.UserAsync(DemoSeed.UserId);
        await using var db = await harness.DbAsync();
        await db.Users.Where(u => u.Id == uma.Id).ExecuteUpdateAsync(s => s.SetProperty(u => u.Role, UserRole.Responder));
    }

    public async Task DisposeAsync() => await harness.DisposeAsync();

    [Fact]
    public async Task An_admin_adds_edits_disables_and_deletes_a_rule_and_the_general_channel_is_the_teams_thread()
    {
        var rule = await harness.AddRuleAsync(admin.Id, f => { f.Name = "Sev1s"; f.MinimumSeverity = IncidentSeverity.Sev1; f.IncidentTypes = ["security"]; });
        Assert.Equal((harness.BotTeam.TeamThreadId, "General", "Security"), (rule.ChannelConversationId, rule.ChannelName, rule.IncidentTypes.Single()));

        var form = AnnouncementRuleForm.From(rule);
        var warRoom = harness.Reach.Sandbox.State.Teams.AddChannel(harness.Team.Id, "War room");
        form.ChannelConversationId = warRoom.Id;
        form.ChannelName = "War room";
        var edited = await harness.Settings.SaveAsync(harness.OrganizationId, admin.Id, rule.Id, form);
        Assert.Equal((warRoom.Id, "War room"), (edited.Rule!.ChannelConversationId, edited.Rule.ChannelName));
        Assert.Null(await harness.Settings.SetEnabledAsync(harness.OrganizationId, admin.Id, rule.Id, false));

        var view = await harness.Settings.LoadAsync(harness.OrganizationId, admin.Id);
        Assert.True(view!.CanEdit);
        Assert.False(Assert.Single(view.Rules).IsEnabled);
        Assert.Equal("Incidents", Assert.Single(view.Teams).Name);
        Assert.Null(await harness.Settings.DeleteAsync(harness.OrganizationId, admin.Id, rule.Id));
        Assert.Empty((await harness.Settings.LoadAsync(harness.OrganizationId, admin.Id))!.Rules);
    }

    [Fact]
    public async Task A_responder_reads_the_rules_but_every_change_is_refused()
    {
        var rule = await harness.AddRuleAsync(admin.Id, f => f.Name = "Everything");
        var settings = harness.Settings;

        var view = await settings.LoadAsync(harness.OrganizationId, uma.Id);
        var add = await settings.SaveAsync(harness.OrganizationId, uma.Id, null, new AnnouncementRuleForm { Name = "mine", BotTeamId = harness.BotTeam.Id });
        var edit = await settings.SaveAsync(harness.OrganizationId, uma.Id, rule.Id, new AnnouncementRuleForm { Name = "renamed", BotTeamId = harness.BotTeam.Id });

        Assert.False(view!.CanEdit);
        Assert.Single(view.Rules);
        Assert.Equal(AnnouncementSettings.NotAllowed, add.Errors[""]);
        Assert.Equal(AnnouncementSettings.NotAllowed, edit.Errors[""]);
        Assert.Equal(AnnouncementSettings.NotAllowed, await settings.SetEnabledAsync(harness.OrganizationId, uma.Id, rule.Id, false));
        Assert.Equal(AnnouncementSettings.NotAllowed, await settings.DeleteAsync(harness.OrganizationId, uma.Id, rule.Id));
        await using var db = await harness.DbAsync();
        var stored = await db.AnnouncementRules.SingleAsync();
        Assert.Equal(("Everything", true), (stored.Name, stored.IsEnabled));
    }

    [Fact]
    public async Task An_admin_of_another_organisation_gets_nothing_and_changes_nothing()
    {
        var rule = await harness.AddRuleAsync(admin.Id);
        var otherOrganisation = Guid.NewGuid();

        Assert.Null(await harness.Settings.LoadAsync(otherOrganisation, admin.Id));
        Assert.Equal(AnnouncementSettings.NotAllowed, await harness.Settings.DeleteAsync(otherOrganisation, admin.Id, rule.Id));
        Assert.Equal("That rule no longer exists.", await harness.Settings.DeleteAsync(harness.OrganizationId, admin.Id, Guid.NewGuid()));
        await using var db = await harness.DbAsync();
        Assert.Equal(1, await db.AnnouncementRules.CountAsync());
    }

    [Fact]
    public async Task Bad_rules_get_clear_errors_per_field_and_nothing_is_saved()
    {
        await using (var db = await harness.DbAsync())
        {
            db.BotTeams.Add(new BotTeam { OrganizationId = harness.OrganizationId, Name = "Old team", TeamThreadId = "19:old@thread.tacv2", ServiceUrl = "https://x.example/", RemovedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }

        var removed = (await harness.Settings.LoadAsync(harness.OrganizationId, admin.Id))!.Teams.Single(t => t.Name == "Old team");
        var everythingWrong = await harness.Settings.SaveAsync(harness.OrganizationId, admin.Id, null, new AnnouncementRuleForm
        {
            Name = new string('n', 101), BotTeamId = Guid.NewGuid(), ChannelConversationId = "general please",
            OnDeclared = false, OnResolved = false, MinimumSeverity = (IncidentSeverity)7, IncidentTypes = ["Outage"],
        });
        var removedTeam = await harness.Settings.SaveAsync(harness.OrganizationId, admin.Id, null, new AnnouncementRuleForm { Name = "x", BotTeamId = removed.Id });
        var noName = await harness.Settings.SaveAsync(harness.OrganizationId, admin.Id, null, new AnnouncementRuleForm { Name = " ", BotTeamId = harness.BotTeam.Id, ChannelConversationId = "19:a@thread.tacv2" });

        Assert.Equal(
            ["BotTeamId", "ChannelConversationId", "ChannelName", "IncidentTypes", "MinimumSeverity", "Name", "OnDeclared"],
            everythingWrong.Errors.Keys.Order());
        Assert.Equal("Choose at least one kind of update to announce.", everythingWrong.Errors["OnDeclared"]);
        Assert.Contains("Old team", removedTeam.Errors["BotTeamId"], StringComparison.Ordinal);
        Assert.Equal(["ChannelName", "Name"], noName.Errors.Keys.Order());
        await using var check = await harness.DbAsync();
        Assert.Equal(0, await check.AnnouncementRules.CountAsync());
    }
}
