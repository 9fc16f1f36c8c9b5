using Bunit;
using IncidentIo.Portal.Setup;
using IncidentIo.Portal.Tests.Support;
using IncidentIo.Sandbox.State;
using Microsoft.EntityFrameworkCore;

namespace IncidentIo.Portal.Tests.Setup;

/// <summary>/setup for people who cannot own the organisation: an ordinary first user, and someone of our own tenant who is not staff.</summary>
public sealed class SetupOwnershipPageTests(SupportWorld world) : ValidatedBunitContext, IClassFixture<SupportWorld>, IAsyncLifetime
{
    Task IAsyncLifetime.InitializeAsync() => Task.CompletedTask;

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    [Fact]
    public void An_ordinary_first_user_is_asked_to_send_their_microsoft_admin_the_setup_link()
    {
        world.AddTo(this, SupportWorld.Person(Guid.NewGuid(), "Uma User", "user@nobody-owns.example"));

        var page = Render<SetupPage>();

        page.WaitForAssertion(() => Assert.Contains("Ask your Microsoft admin", page.Find("[data-testid=ask-admin-notice]").TextContent, StringComparison.Ordinal));
        Assert.Equal("http://localhost/setup", page.Find("[data-testid=admin-setup-link-text]").TextContent);
        Assert.NotNull(page.Find("[data-testid=copy-admin-setup-link]"));
    }

    [Fact]
    public async Task Someone_of_our_tenant_without_the_staff_role_is_refused_and_gets_no_organisation()
    {
        world.AddTo(this, SupportWorld.Person(DemoSeed.StaffTenantId, "Hal Helpdesk", "helpdesk@incidentio.example"));

        var page = Render<SetupPage>();

        Assert.Contains("Support.Staff", page.Find("[data-testid=not-staff-notice]").TextContent, StringComparison.Ordinal);
        Assert.Empty(page.FindAll("[data-testid=setup-stepper]"));
        await using var db = world.NewContext();
        Assert.False(await db.Organizations.AnyAsync(o => o.MicrosoftTenantId == DemoSeed.StaffTenantId));
    }
}
