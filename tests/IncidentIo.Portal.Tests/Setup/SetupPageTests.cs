using Bunit;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.Setup;
using IncidentIo.Portal.Setup;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace IncidentIo.Portal.Tests.Setup;

public sealed class SetupPageTests : ValidatedBunitContext, IClassFixture<SetupServices>
{
    public SetupPageTests(SetupServices services) => services.AddTo(this);

    [Fact]
    public void A_refused_answer_from_Microsoft_links_the_troubleshooting_page()
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo("/setup?consent=rejected-expired");

        var page = Render<SetupPage>();

        Assert.Contains(ConsentRejection.Expired.Describe(), page.Find("[data-testid=setup-notice]").TextContent, StringComparison.Ordinal);
        Assert.Equal("/setup/troubleshooting", page.Find("[data-testid=setup-notice-troubleshooting]").GetAttribute("href"));
    }

    [Fact]
    public void Granted_needs_no_troubleshooting()
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo("/setup?consent=granted");

        var page = Render<SetupPage>();

        Assert.Empty(page.FindAll("[data-testid=setup-notice-troubleshooting]"));
    }

    [Fact]
    public void The_global_permissions_step_shows_its_last_failure_with_the_shared_alert()
    {
        var organization = new Organization { Name = "Contoso", MicrosoftTenantId = Guid.NewGuid() };
        var failed = new ConsentRequest
        {
            StateHash = "hash",
            Outcome = ConsentOutcome.Failed,
            AnsweredAt = DateTimeOffset.UtcNow,
            Error = "access_denied",
            ErrorCode = 90094,
            CorrelationId = "c",
            TraceId = "t",
        };

        var step = Render<GlobalPermissionsStep>(p => p
            .Add(s => s.View, new SetupView(organization, null, failed, null, []))
            .Add(s => s.SetupAddress, "https://portal.example/setup"));

        Assert.Contains("A Microsoft admin has to grant these permissions.", step.Find("[data-testid=consent-failure]").TextContent, StringComparison.Ordinal);
        Assert.Equal("https://portal.example/setup", step.Find("[data-testid=forward-link]").TextContent);
        Assert.Contains("AADSTS90094", step.Find("[data-testid=consent-ids]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Once_granted_the_old_failure_is_not_shown()
    {
        var organization = new Organization { Name = "Contoso", MicrosoftTenantId = Guid.NewGuid(), GlobalPermissionsGrantedAt = DateTimeOffset.UtcNow };
        var failed = new ConsentRequest { StateHash = "hash", Outcome = ConsentOutcome.Failed, ErrorCode = 65004 };

        var step = Render<GlobalPermissionsStep>(p => p.Add(s => s.View, new SetupView(organization, null, failed, null, [])));

        Assert.Empty(step.FindAll("[data-testid=consent-failure]"));
        Assert.NotNull(step.Find("[data-testid=global-granted]"));
    }
}
