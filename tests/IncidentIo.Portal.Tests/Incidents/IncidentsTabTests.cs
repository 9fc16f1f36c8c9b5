using Bunit;
using IncidentIo.Domain.Users;
using IncidentIo.Portal.Tests.Support;
using IncidentIo.Portal.TeamsTab;
using Microsoft.EntityFrameworkCore;

namespace IncidentIo.Portal.Tests.Incidents;

/// <summary>Our tab's declare form: the declarer leads by default, the result says where it goes, and the fresh form shows no errors.</summary>
public sealed class IncidentsTabTests(SupportWorld world) : BunitContext, IClassFixture<SupportWorld>, IAsyncLifetime
{
    private TeamsTabSession session = null!;

    public async Task InitializeAsync()
    {
        await using var db = world.NewContext();
        var admin = await db.Users.Where(u => u.OrganizationId == world.Contoso && u.Role == UserRole.Owner).SingleAsync();
        session = new TeamsTabSession(world.Contoso, "Contoso", admin.Id, admin.DisplayName, admin.Role, null) { Actor = $"user:{admin.UserPrincipalName}" };
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    [Fact]
    public void A_declaration_with_no_matching_rule_says_so_and_the_fresh_form_shows_no_errors()
    {
        world.AddTo(this, null);
        var tab = Render<IncidentsTab>(p => p.Add(x => x.Session, session));

        tab.WaitForAssertion(() => Assert.Contains("Adele Admin", tab.Find("[data-testid=declare-lead-chosen]").TextContent, StringComparison.Ordinal));
        tab.Find("input[data-testid=declare-name]").Change("Search is slow");
        tab.Find("[data-testid=declare-submit]").Click();

        tab.WaitForAssertion(() => Assert.Contains("No announcement rule matches it", tab.Find("[data-testid=declared-where]").TextContent, StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.Equal("/settings/announcements", tab.Find("[data-testid=declared-rules]").GetAttribute("href"));
        Assert.DoesNotContain("The right channels", tab.Find("[data-testid=declared]").TextContent, StringComparison.Ordinal);
        // The form starts again: empty name, the declarer as lead, and no field marked in error.
        Assert.Equal("", tab.Find("input[data-testid=declare-name]").GetAttribute("value") ?? "");
        Assert.Contains("Adele Admin", tab.Find("[data-testid=declare-lead-chosen]").TextContent, StringComparison.Ordinal);
        Assert.Empty(tab.FindAll(".mud-input-error"));
        Assert.DoesNotContain("Required", tab.Markup, StringComparison.Ordinal);
    }
}
