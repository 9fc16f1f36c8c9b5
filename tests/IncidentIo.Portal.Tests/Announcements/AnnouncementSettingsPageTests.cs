using Bunit;
using Bunit.Rendering;
using IncidentIo.Domain.Announcements;
using IncidentIo.Domain.Bot;
using IncidentIo.Domain.Users;
using IncidentIo.Portal.Announcements;
using IncidentIo.Portal.Tests.Support;
using Microsoft.EntityFrameworkCore;
using MudBlazor;

namespace IncidentIo.Portal.Tests.Announcements;

/// <summary>The rules page against the real services: admins edit in a dialog, others read only, errors shown where they belong.</summary>
public sealed class AnnouncementSettingsPageTests(SupportWorld world) : ValidatedBunitContext, IClassFixture<SupportWorld>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await using var db = world.NewContext();
        if (!await db.BotTeams.AnyAsync(t => t.OrganizationId == world.Contoso))
        {
            db.BotTeams.Add(new BotTeam
            {
                OrganizationId = world.Contoso, Name = "Incidents", TeamThreadId = "19:general@thread.tacv2", ServiceUrl = "https://smba.example/teams/",
                InstalledAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
            });
        }

        // Contoso's second person answers incidents but is no admin.
        var viewerTenant = world.ContosoViewer.FindFirst("oid")!.Value;
        await db.Users.Where(u => u.MicrosoftObjectId == Guid.Parse(viewerTenant)).ExecuteUpdateAsync(s => s.SetProperty(u => u.Role, UserRole.Responder));
        await db.SaveChangesAsync();
    }

    // MudBlazor's keyboard service can only be disposed asynchronously.
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    /// <summary>The page with the providers MainLayout gives it (the dialog renders through them).</summary>
    private IRenderedComponent<ContainerFragment> RenderPage() => Render(builder =>
    {
        builder.OpenComponent<MudPopoverProvider>(0);
        builder.CloseComponent();
        builder.OpenComponent<MudDialogProvider>(1);
        builder.CloseComponent();
        builder.OpenComponent<AnnouncementSettingsPage>(2);
        builder.CloseComponent();
    });

    private async Task<int> RuleCountAsync(string name)
    {
        await using var db = world.NewContext();
        return await db.AnnouncementRules.CountAsync(r => r.OrganizationId == world.Contoso && r.Name == name);
    }

    [Fact]
    public async Task An_admin_adds_a_rule_in_the_dialog_and_sees_it_listed_with_the_team()
    {
        world.AddTo(this, world.ContosoAdmin);
        var page = RenderPage();
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=add-rule]")));
        Assert.Contains("Incidents", page.Find("[data-testid=bot-teams]").TextContent, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=read-only]"));

        page.Find("[data-testid=add-rule]").Click();
        page.WaitForAssertion(() => page.Find("input[data-testid=rule-name-field]").Change("Everything to Incidents"));
        page.Find("[data-testid=rule-save]").Click();

        page.WaitForAssertion(() => Assert.Contains(page.FindAll("[data-testid=rule-name]"), c => c.TextContent == "Everything to Incidents"));
        Assert.Empty(page.FindAll("[data-testid=rule-save]"));
        Assert.Contains("Incidents › General", page.Find("[data-rule='Everything to Incidents']").TextContent, StringComparison.Ordinal);
        Assert.Equal(1, await RuleCountAsync("Everything to Incidents"));
    }

    [Fact]
    public async Task Errors_show_at_their_fields_and_nothing_is_saved()
    {
        world.AddTo(this, world.ContosoAdmin);
        var page = RenderPage();
        page.WaitForAssertion(() => page.Find("[data-testid=add-rule]").Click());

        page.WaitForAssertion(() => page.Find("input[data-testid=rule-channel-id]").Change("general please"));
        page.Find("input[data-testid=rule-on-declared]").Change(false);
        page.Find("input[data-testid=rule-on-resolved]").Change(false);
        page.Find("[data-testid=rule-save]").Click();

        page.WaitForAssertion(() => Assert.Contains("Give the rule a name.", page.Markup, StringComparison.Ordinal));
        Assert.Contains("A channel id looks like 19:", page.Markup, StringComparison.Ordinal);
        Assert.Contains("Name the channel", page.Markup, StringComparison.Ordinal);
        Assert.Equal("Choose at least one kind of update to announce.", page.Find("[data-testid=rule-kinds-error]").TextContent);
        Assert.NotNull(page.Find("[data-testid=rule-save]"));
        await using var db = world.NewContext();
        Assert.False(await db.AnnouncementRules.AnyAsync(r => r.ChannelConversationId == "general please"));
    }

    [Fact]
    public async Task A_responder_sees_the_rules_read_only_and_the_service_refuses_them_anyway()
    {
        var settings = world.Host.Services.GetService(typeof(AnnouncementSettings)) as AnnouncementSettings;
        Guid adminId, responderId, teamId;
        await using (var db = world.NewContext())
        {
            var adminOid = Guid.Parse(world.ContosoAdmin.FindFirst("oid")!.Value);
            var responderOid = Guid.Parse(world.ContosoViewer.FindFirst("oid")!.Value);
            adminId = await db.Users.Where(u => u.MicrosoftObjectId == adminOid).Select(u => u.Id).SingleAsync();
            responderId = await db.Users.Where(u => u.MicrosoftObjectId == responderOid).Select(u => u.Id).SingleAsync();
            teamId = await db.BotTeams.Where(t => t.OrganizationId == world.Contoso).Select(t => t.Id).SingleAsync();
        }

        var saved = await settings!.SaveAsync(world.Contoso, adminId, null, new AnnouncementRuleForm { Name = "Sev1 only", BotTeamId = teamId });
        Assert.True(saved.Succeeded);
        world.AddTo(this, world.ContosoViewer);

        var page = RenderPage();

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=read-only]")));
        Assert.Contains(page.FindAll("[data-testid=rule-name]"), c => c.TextContent == "Sev1 only");
        Assert.Empty(page.FindAll("[data-testid=add-rule]"));
        Assert.Empty(page.FindAll("[data-testid=edit-rule]"));
        Assert.Empty(page.FindAll("[data-testid=delete-rule]"));
        var switches = page.FindAll("[data-rule] input[type=checkbox]");
        Assert.NotEmpty(switches);
        Assert.All(switches, input => Assert.True(input.HasAttribute("disabled")));
        Assert.Equal(AnnouncementSettings.NotAllowed, await settings.DeleteAsync(world.Contoso, responderId, saved.Rule!.Id));
        Assert.Equal(1, await RuleCountAsync("Sev1 only"));
    }

    [Fact]
    public void Nobody_signed_in_is_asked_to_sign_in_and_sees_no_rules()
    {
        world.AddTo(this, null);

        var page = RenderPage();

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=announcements-sign-in]")));
        Assert.Empty(page.FindAll("[data-testid=rules]"));
        Assert.Empty(page.FindAll("[data-testid=bot-teams]"));
    }
}
