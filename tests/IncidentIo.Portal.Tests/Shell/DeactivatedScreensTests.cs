using System.Security.Claims;
using Bunit;
using IncidentIo.Domain.Bot;
using IncidentIo.Domain.Reachability;
using IncidentIo.Domain.Users;
using IncidentIo.Portal.Incidents;
using IncidentIo.Portal.Setup;
using IncidentIo.Portal.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Identity.Web;

namespace IncidentIo.Portal.Tests.Shell;

/// <summary>
/// A deactivated person is told so wherever they arrive, with the recorded reason, the teams with our
/// app, the Teams steps that fix it and a support e-mail that carries their ids; never "sign in" or
/// "an admin is setting up".
/// </summary>
public sealed class DeactivatedScreensTests(SupportWorld world) : BunitContext, IClassFixture<SupportWorld>, IAsyncLifetime
{
    private const string Reason = "Not a member of Incidents, in the sweep of 2026-12-01 03:00:00Z (run 0f3c9a). Checked teams: Incidents.";
    private User former = null!;
    private ClaimsPrincipal formerOwner = null!;

    public async Task InitializeAsync()
    {
        former = await world.AddPersonAsync(world.Contoso, "Olga Owner", $"olga{Guid.NewGuid():N}@contoso.example", InstallationState.Failed, "Microsoft kept failing.");
        await using var db = world.NewContext();
        var user = await db.Users.SingleAsync(u => u.Id == former.Id);
        user.Role = UserRole.Owner;
        user.AppInstallation.LastRequestId = "req-1234";
        user.Deactivate(Reason, DateTimeOffset.UtcNow.AddDays(-2));
        if (!await db.BotTeams.AnyAsync(t => t.OrganizationId == world.Contoso))
        {
            db.BotTeams.Add(new BotTeam
            {
                OrganizationId = world.Contoso, TeamThreadId = "19:incidents@thread.tacv2", Name = "Incidents", ServiceUrl = "https://smba.example/",
                InstalledAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
            });
        }

        await db.SaveChangesAsync();
        formerOwner = new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim("tid", world.ContosoAdmin.GetTenantId()!),
            new Claim("oid", former.MicrosoftObjectId.ToString()),
            new Claim("name", former.DisplayName),
            new Claim("preferred_username", former.UserPrincipalName!),
        ], authenticationType: "test"));
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    private void AssertToldWhyAndHow<T>(IRenderedComponent<T> page)
        where T : Microsoft.AspNetCore.Components.IComponent
    {
        Assert.Contains("You are deactivated in", page.Find("[data-testid=deactivated]").TextContent, StringComparison.Ordinal);
        Assert.Contains(Reason, page.Find("[data-testid=deactivated-reason]").TextContent, StringComparison.Ordinal);
        Assert.Contains("Incidents", page.Find("[data-testid=deactivated-teams]").TextContent, StringComparison.Ordinal);
        Assert.Contains("Add member", page.Find("[data-testid=deactivated-join-steps]").TextContent, StringComparison.Ordinal);
        Assert.Contains("Manage team", page.Find("[data-testid=deactivated-add-app-steps]").TextContent, StringComparison.Ordinal);
        var mail = Uri.UnescapeDataString(page.Find("[data-testid=deactivated-support] [data-testid=contact-support]").GetAttribute("href")!);
        Assert.StartsWith("mailto:", mail, StringComparison.Ordinal);
        Assert.Contains(former.MicrosoftObjectId.ToString(), mail, StringComparison.Ordinal);
        Assert.Contains(world.ContosoAdmin.GetTenantId()!, mail, StringComparison.Ordinal);
        Assert.Contains("req-1234", mail, StringComparison.Ordinal);
    }

    [Fact]
    public void On_incidents_a_deactivated_person_is_told_why_not_asked_to_sign_in()
    {
        world.AddTo(this, formerOwner);

        var page = Render<IncidentsPage>();

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=deactivated]")));
        AssertToldWhyAndHow(page);
        Assert.Empty(page.FindAll("[data-testid=incidents-sign-in]"));
        Assert.Empty(page.FindAll("[data-testid=open-declare]"));
    }

    [Fact]
    public void On_setup_a_deactivated_former_owner_is_told_why_not_that_an_admin_is_setting_up()
    {
        world.AddTo(this, formerOwner);

        var page = Render<SetupPage>();

        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=deactivated]")));
        AssertToldWhyAndHow(page);
        Assert.Contains("You were Owner", page.Find("[data-testid=deactivated]").TextContent, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=viewer-notice]"));
    }
}
