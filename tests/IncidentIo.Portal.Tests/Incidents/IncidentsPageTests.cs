using Bunit;
using IncidentIo.Domain.Announcements;
using IncidentIo.Domain.Incidents;
using IncidentIo.Portal.Incidents;
using IncidentIo.Portal.Tests.Support;
using Microsoft.EntityFrameworkCore;

namespace IncidentIo.Portal.Tests.Incidents;

/// <summary>/incidents against the real services: each announcement's state and why, and nothing of another organisation.</summary>
public sealed class IncidentsPageTests(SupportWorld world) : ValidatedBunitContext, IClassFixture<SupportWorld>, IAsyncLifetime
{
    private Guid incidentId;

    public async Task InitializeAsync()
    {
        var adminOid = Guid.Parse(world.ContosoAdmin.FindFirst("oid")!.Value);
        await using var db = world.NewContext();
        var adminId = await db.Users.Where(u => u.MicrosoftObjectId == adminOid).Select(u => u.Id).SingleAsync();
        var declared = await ((IncidentService)world.Host.Services.GetService(typeof(IncidentService))!)
            .DeclareAsync(world.Contoso, adminId, new DeclareIncident { Name = "Checkout <b>down</b>", Severity = IncidentSeverity.Sev1, LeadUserId = world.Blocked });
        incidentId = declared.Incident!.Id;
        var update = await db.IncidentUpdates.SingleAsync(u => u.IncidentId == incidentId);
        update.ProcessedAt = DateTimeOffset.UtcNow;
        db.AnnouncementDeliveries.Add(new AnnouncementDelivery
        {
            OrganizationId = world.Contoso, IncidentId = incidentId, IncidentUpdateId = update.Id, Kind = DeliveryKind.LeadMessage,
            Target = $"user:{world.Blocked}", TargetName = "Blake Blocked", RecipientUserId = world.Blocked, State = DeliveryState.Unreachable,
            LastError = "A Teams app permission policy blocks our app for this person: a Teams admin must allow it.",
            CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
        });
        await db.SaveChangesAsync();
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    [Fact]
    public void An_admin_sees_the_incident_and_why_its_lead_cannot_be_messaged_with_send_again()
    {
        world.AddTo(this, world.ContosoAdmin);

        var page = Render<IncidentsPage>(p => p.Add(x => x.IncidentId, incidentId));

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=incident-details]")));
        Assert.Contains(page.FindAll("[data-testid=incident-link]"), l => l.TextContent.Contains("Checkout <b>down</b>", StringComparison.Ordinal));
        Assert.Equal("Unreachable", page.Find("[data-testid=lead-dm] [data-testid=delivery-state]").GetAttribute("data-state"));
        Assert.Contains("permission policy", page.Find("[data-testid=lead-dm] [data-testid=delivery-why]").TextContent, StringComparison.Ordinal);
        Assert.NotNull(page.Find("[data-testid=lead-dm] [data-testid=send-again]"));
    }

    [Fact]
    public void In_the_browser_a_member_declares_with_errors_at_their_fields_then_with_a_lead_found_by_name()
    {
        world.AddTo(this, world.ContosoAdmin);
        var page = Render<IncidentsPage>();
        page.WaitForAssertion(() => page.Find("[data-testid=open-declare]").Click());

        page.WaitForAssertion(() => page.Find("[data-testid=declare-submit]").Click());
        page.WaitForAssertion(() => Assert.Contains("name", page.Find("[data-testid=declare-panel]").TextContent, StringComparison.OrdinalIgnoreCase));
        Assert.Empty(page.FindAll("[data-testid=declared]"));

        page.Find("input[data-testid=declare-name]").Change("Queue backlog growing");
        // The person declaring leads by default; they hand it to someone else.
        Assert.Contains("Adele", page.Find("[data-testid=declare-lead-chosen]").TextContent, StringComparison.Ordinal);
        page.Find("[data-testid=change-lead]").Click();
        page.Find("input[data-testid=declare-lead]").Input("Uma");
        page.WaitForAssertion(() => page.FindAll("[data-testid=lead-choice]").Single(b => b.TextContent.Contains("Uma User", StringComparison.Ordinal)).Click(), TimeSpan.FromSeconds(10));
        page.WaitForAssertion(() => Assert.Contains("Uma User", page.Find("[data-testid=declare-lead-chosen]").TextContent, StringComparison.Ordinal));
        page.Find("[data-testid=declare-submit]").Click();

        page.WaitForAssertion(() => Assert.Matches("^Declared INC-\\d+:", page.Find("[data-testid=declared]").TextContent.Trim()), TimeSpan.FromSeconds(10));
        Assert.Contains(page.FindAll("[data-testid=incident-link]"), l => l.TextContent.Contains("Queue backlog growing", StringComparison.Ordinal));
    }

    [Fact]
    public void A_viewer_sees_the_states_without_send_again_and_another_organisation_sees_nothing()
    {
        world.AddTo(this, world.ContosoViewer);
        var viewerPage = Render<IncidentsPage>(p => p.Add(x => x.IncidentId, incidentId));
        viewerPage.WaitForAssertion(() => Assert.NotNull(viewerPage.Find("[data-testid=lead-dm]")));
        Assert.Empty(viewerPage.FindAll("[data-testid=send-again]"));

        using var other = new BunitContext();
        world.AddTo(other, world.FabrikamAdmin);
        var fabrikam = other.Render<IncidentsPage>(p => p.Add(x => x.IncidentId, incidentId));
        fabrikam.WaitForAssertion(() => Assert.NotNull(fabrikam.Find("[data-testid=incident-not-found]")));
        Assert.DoesNotContain("Checkout", fabrikam.Markup, StringComparison.Ordinal);
        Assert.DoesNotContain("Blake", fabrikam.Markup, StringComparison.Ordinal);
    }
}
