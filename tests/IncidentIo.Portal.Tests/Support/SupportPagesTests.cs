using Bunit;
using IncidentIo.Domain.Reachability;
using IncidentIo.Domain.TeamsApp;
using IncidentIo.Portal.Setup;
using IncidentIo.Portal.Support;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IncidentIo.Portal.Tests.Support;

/// <summary>The console's pages rendered against the real services: what each person sees, and that they follow changes live.</summary>
public sealed class SupportPagesTests(SupportWorld world) : ValidatedBunitContext, IClassFixture<SupportWorld>, IAsyncLifetime
{
    private static readonly TimeSpan Live = TimeSpan.FromSeconds(10);

    public Task InitializeAsync() => Task.CompletedTask;

    // MudBlazor's keyboard service can only be disposed asynchronously.
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    private string AppId => world.Host.Services.GetRequiredService<IOptions<TeamsAppOptions>>().Value.AppId;

    [Fact]
    public void Nobody_signed_in_is_asked_to_sign_in()
    {
        world.AddTo(this, null);

        var page = Render<SupportUsersPage>();

        Assert.NotNull(page.Find("[data-testid=support-sign-in]"));
        Assert.Empty(page.FindAll("[data-testid=support-users]"));
    }

    [Fact]
    public void A_member_who_is_not_an_admin_is_told_they_are_not_allowed()
    {
        world.AddTo(this, world.ContosoViewer);

        var list = Render<SupportUsersPage>();
        var person = Render<SupportUserPage>(p => p.Add(x => x.UserId, world.Blocked));

        Assert.Contains("not allowed to use the support console", list.Find("[data-testid=support-not-allowed]").TextContent, StringComparison.Ordinal);
        Assert.Contains("not allowed", person.Find("[data-testid=support-not-allowed]").TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain("blocked@contoso.example", person.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void An_admin_sees_their_organisation_with_counts_and_coloured_states()
    {
        world.AddTo(this, world.ContosoAdmin);

        var page = Render<SupportUsersPage>();

        page.WaitForAssertion(() => Assert.NotEmpty(page.FindAll("[data-testid=user-link]")));
        Assert.Equal("contoso.example", page.Find("[data-testid=organization-name]").TextContent);
        Assert.Matches(@"^\d+ of \d+ people can get messages from our bot$", page.Find("[data-testid=reachable-headline]").TextContent.Trim());
        Assert.Equal("1", page.Find("[data-testid=count-BlockedByPolicy]").GetAttribute("data-count"));
        Assert.Contains(page.FindAll("[data-testid=user-upn]"), c => c.TextContent == "blocked@contoso.example");
        Assert.Contains(page.FindAll("[data-testid=user-state]"), c => c.GetAttribute("data-state") == "BlockedByPolicy" && c.TextContent.Contains("Blocked by policy", StringComparison.Ordinal));
        Assert.DoesNotContain("fabrikam", page.Markup, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(page.FindAll("[data-testid=organization-picker]"));
    }

    [Fact]
    public async Task Someone_blocked_by_policy_but_in_a_team_with_our_bot_is_shown_as_reached_through_that_team()
    {
        world.AddTo(this, world.ContosoAdmin);
        await SetBotTeamAsync(world.Blocked, "Operations");
        try
        {
            var person = Render<SupportUserPage>(p => p.Add(x => x.UserId, world.Blocked));
            var list = Render<SupportUsersPage>();

            person.WaitForAssertion(() => Assert.Contains(
                "they are in the team \"Operations\", where IncidentIo is installed", person.Find("[data-testid=team-route]").TextContent, StringComparison.Ordinal));
            list.WaitForAssertion(() => Assert.Equal("1", list.Find("[data-testid=reachable-through-team]").GetAttribute("data-count")));
        }
        finally
        {
            await SetBotTeamAsync(world.Blocked, null);
        }

        var without = Render<SupportUserPage>(p => p.Add(x => x.UserId, world.Blocked));
        without.WaitForAssertion(() => Assert.NotEmpty(without.FindAll("[data-testid=state-explanation]")));
        Assert.Empty(without.FindAll("[data-testid=team-route]"));
    }

    private async Task SetBotTeamAsync(Guid userId, string? team)
    {
        await using var db = world.NewContext();
        await db.Users.Where(u => u.Id == userId).ExecuteUpdateAsync(s => s.SetProperty(u => u.BotTeamName, team));
    }

    [Fact]
    public void An_admin_who_puts_another_organisations_id_in_the_address_is_not_allowed()
    {
        world.AddTo(this, world.ContosoAdmin);
        Services.GetRequiredService<NavigationManager>().NavigateTo($"/support/users?org={world.Fabrikam}");

        var page = Render<SupportUsersPage>();

        Assert.Contains("not allowed to see that: only your own organisation", page.Find("[data-testid=support-not-allowed]").TextContent, StringComparison.Ordinal);
        Assert.DoesNotContain("secret@fabrikam.example", page.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void An_admin_who_opens_another_organisations_person_by_address_finds_nobody()
    {
        world.AddTo(this, world.ContosoAdmin);

        var page = Render<SupportUserPage>(p => p.Add(x => x.UserId, world.FabrikamSecret));

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=support-user-not-found]")));
        Assert.DoesNotContain("secret@fabrikam.example", page.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain("Fabrikam", page.Markup, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=retry-install]"));
    }

    [Fact]
    public void Staff_pick_an_organisation_first_then_see_its_people()
    {
        world.AddTo(this, world.Staff);

        var start = Render<SupportUsersPage>();
        Assert.NotNull(start.Find("[data-testid=staff-badge]"));
        Assert.NotNull(start.Find("[data-testid=organization-picker]"));
        Assert.NotNull(start.Find("[data-testid=pick-organization]"));

        Services.GetRequiredService<NavigationManager>().NavigateTo($"/support/users?org={world.Fabrikam}");
        var fabrikam = Render<SupportUsersPage>();
        fabrikam.WaitForAssertion(() => Assert.Contains(fabrikam.FindAll("[data-testid=user-upn]"), c => c.TextContent == "secret@fabrikam.example"));
    }

    [Fact]
    public void A_person_blocked_by_policy_gets_the_policy_guide_and_powershell_with_their_upn_and_our_app_id()
    {
        world.AddTo(this, world.ContosoAdmin);

        var page = Render<SupportUserPage>(p => p.Add(x => x.UserId, world.Blocked));

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=installation]")));
        Assert.Equal("BlockedByPolicy", page.Find("[data-testid=user-state]").GetAttribute("data-state"));
        Assert.Contains("Permission policies", page.Find("[data-testid=state-explanation]").TextContent, StringComparison.Ordinal);
        Assert.Contains("Permission policies", page.Find("[data-testid=policy-guide]").TextContent, StringComparison.Ordinal);
        Assert.Contains("Setup policies", page.Find("[data-testid=setup-policy-guide]").TextContent, StringComparison.Ordinal);

        var check = page.Find("[data-testid=ps-check-text]").TextContent;
        Assert.Equal("Get-MgUserTeamworkInstalledApp -UserId \"blocked@contoso.example\" -ExpandProperty teamsAppDefinition -Filter \"teamsApp/id eq '$catalogId'\"", check);
        var catalog = page.Find("[data-testid=ps-catalog-text]").TextContent;
        Assert.Contains($"Get-MgAppCatalogTeamApp -Filter \"externalId eq '{AppId}' and distributionMethod eq 'organization'\"", catalog, StringComparison.Ordinal);
        Assert.Contains($"Get-MgAppCatalogTeamApp -Filter \"id eq '{AppId}'\"", catalog, StringComparison.Ordinal);
        Assert.StartsWith("New-MgUserTeamworkInstalledApp -UserId \"blocked@contoso.example\" -BodyParameter @{ \"teamsApp@odata.bind\" = \"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/$catalogId\" }",
            page.Find("[data-testid=ps-install-text]").TextContent, StringComparison.Ordinal);
        Assert.Contains("-Scopes \"TeamsAppInstallation.ReadWriteForUser\"", page.Find("[data-testid=ps-connect-text]").TextContent, StringComparison.Ordinal);
        Assert.Equal(3, page.FindAll("[data-testid=history-row]").Count);
    }

    [Fact]
    public void Copy_puts_the_exact_script_on_the_clipboard()
    {
        world.AddTo(this, world.ContosoAdmin);
        var page = Render<SupportUserPage>(p => p.Add(x => x.UserId, world.Blocked));
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=copy-ps-check]")));

        page.Find("[data-testid=copy-ps-check]").Click();

        var call = Assert.Single(JSInterop.Invocations, i => i.Identifier == "navigator.clipboard.writeText");
        Assert.Equal(page.Find("[data-testid=ps-check-text]").TextContent, call.Arguments[0]);
        Assert.Contains("Copied", page.Find("[data-testid=copy-ps-check]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void An_installed_person_gets_no_policy_guide_but_still_the_guide_for_everyone()
    {
        world.AddTo(this, world.ContosoAdmin);

        var page = Render<SupportUserPage>(p => p.Add(x => x.UserId, world.Installed));

        page.WaitForAssertion(() => Assert.Equal("Installed", page.Find("[data-testid=user-state]").GetAttribute("data-state")));
        Assert.Empty(page.FindAll("[data-testid=policy-guide]"));
        Assert.NotNull(page.Find("[data-testid=setup-policy-guide]"));
    }

    [Fact]
    public void A_person_is_compared_with_someone_of_the_same_organisation_who_receives_messages()
    {
        world.AddTo(this, world.ContosoAdmin);

        var page = Render<SupportUserPage>(p => p.Add(x => x.UserId, world.Blocked));

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=compare-table]")));
        Assert.Equal("Ian Installed", page.Find("[data-testid=compare-peer-name]").TextContent);
        Assert.Equal("BlockedByPolicy", page.Find("[data-testid=compare-subject-state]").GetAttribute("data-state"));
        Assert.Equal("Installed", page.Find("[data-testid=compare-peer-state]").GetAttribute("data-state"));
        Assert.Contains(page.FindAll("[data-testid=compare-row]"), r => r.TextContent.Contains("Attempts recorded", StringComparison.Ordinal) && r.GetAttribute("data-differs") == "true");
        var policy = page.FindAll("[data-testid=compare-row]").Single(r => r.TextContent.StartsWith("App permission policy", StringComparison.Ordinal));
        Assert.Equal("true", policy.GetAttribute("data-differs"));
        Assert.Contains("blocks IncidentIo", policy.TextContent, StringComparison.Ordinal);
        Assert.Contains(page.FindAll("[data-testid=compare-row]"), r => r.TextContent.StartsWith("Has opened Teams", StringComparison.Ordinal));
        // Their teams are a live call to Microsoft, made only when asked.
        Assert.NotNull(page.Find("[data-testid=compare-teams]"));
    }

    [Fact]
    public async Task The_list_and_a_persons_page_follow_a_change_made_elsewhere_without_reloading()
    {
        // An organisation of its own: the other tests here read Contoso as it was made.
        var admin = SupportWorld.MicrosoftAdmin(Guid.NewGuid(), "Lena Live", "admin@live.example");
        var organization = (await world.Access.OpenAsync(admin)).OrganizationId!.Value;
        var person = await world.AddPersonAsync(organization, "Liv Live", "liv@live.example", InstallationState.NotInstalled, null);
        world.AddTo(this, admin);
        var list = Render<SupportUsersPage>();
        var detail = Render<SupportUserPage>(p => p.Add(x => x.UserId, person.Id));
        list.WaitForAssertion(() => Assert.Contains(list.FindAll("[data-testid=user-upn]"), c => c.TextContent == "liv@live.example"));
        var headline = list.Find("[data-testid=reachable-headline]").TextContent;
        detail.WaitForAssertion(() => Assert.Equal("NotInstalled", detail.Find("[data-testid=user-state]").GetAttribute("data-state")));

        // What a worker does when the install succeeds.
        await using (var db = world.NewContext())
        {
            var row = await db.Users.SingleAsync(u => u.Id == person.Id);
            row.AppInstallation.State = InstallationState.Installed;
            row.AppInstallation.ChangedAt = row.AppInstallation.VerifiedAt = DateTimeOffset.UtcNow;
            db.AppInstallationAttempts.Add(new AppInstallationAttempt
            {
                UserId = person.Id, OrganizationId = organization, At = DateTimeOffset.UtcNow, Action = "install", Trigger = "retry", Status = 201, Outcome = InstallationState.Installed,
            });
            await db.SaveChangesAsync();
        }

        detail.WaitForAssertion(() => Assert.Equal("Installed", detail.Find("[data-testid=user-state]").GetAttribute("data-state")), Live);
        Assert.Single(detail.FindAll("[data-testid=history-row]"));
        list.WaitForAssertion(() => Assert.NotEqual(headline, list.Find("[data-testid=reachable-headline]").TextContent), Live);
        list.WaitForAssertion(() => Assert.Equal("Installed", Assert.Single(list.FindAll("tr"), r => r.TextContent.Contains("liv@live.example", StringComparison.Ordinal))
            .QuerySelector("[data-testid=user-state]")!.GetAttribute("data-state")), Live);
    }

    [Fact]
    public void Install_for_everyone_asks_first()
    {
        world.AddTo(this, world.ContosoAdmin);
        var page = Render<SupportUsersPage>();
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=install-everyone]")));

        page.Find("[data-testid=install-everyone]").Click();
        Assert.Contains("Install IncidentIo for everyone in contoso.example who does not have it yet (", page.Find("[data-testid=install-everyone-confirm]").TextContent, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=install-everyone-queued]"));

        page.Find("[data-testid=install-everyone-yes]").Click();
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=install-everyone-queued]")));
        Assert.Empty(page.FindAll("[data-testid=install-everyone-confirm]"));
    }

    [Fact]
    public void Searching_narrows_the_list()
    {
        world.AddTo(this, world.ContosoAdmin);
        var page = Render<SupportUsersPage>();
        page.WaitForAssertion(() => Assert.True(page.FindAll("[data-testid=user-link]").Count > 1));

        page.Find("input[data-testid=support-search]").Input("BLAKE");

        page.WaitForAssertion(() => Assert.Equal(["Blake Blocked"], page.FindAll("[data-testid=user-link]").Select(l => l.TextContent)), Live);
    }

    [Fact]
    public async Task Staff_who_open_setup_are_sent_to_the_console_and_no_organisation_is_made_for_our_tenant()
    {
        world.AddTo(this, world.Staff);

        var page = Render<SetupPage>();

        Assert.Contains("support staff", page.Find("[data-testid=staff-notice]").TextContent, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=setup-stepper]"));
        await using var db = world.NewContext();
        var staffTenant = new Guid(IncidentIo.Domain.MicrosoftCloud.SandboxDefaults.StaffTenantId);
        Assert.False(await db.Organizations.AnyAsync(o => o.MicrosoftTenantId == staffTenant));
    }
}
