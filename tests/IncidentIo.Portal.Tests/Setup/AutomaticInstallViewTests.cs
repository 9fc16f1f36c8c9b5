using Bunit;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.Setup;
using IncidentIo.Domain.Setup.AutomaticInstall;
using IncidentIo.Domain.Users;
using IncidentIo.Portal.Setup;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IncidentIo.Portal.Tests.Setup;

/// <summary>The automatic install's views: every state of the progress view, and what the panel offers at each point of the journey.</summary>
public sealed class AutomaticInstallViewTests : ValidatedBunitContext, IClassFixture<SetupServices>, IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 11, 27, 9, 0, 0, TimeSpan.Zero);
    private readonly SetupServices services;

    public AutomaticInstallViewTests(SetupServices services)
    {
        this.services = services;
        services.AddTo(this);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    // MudBlazor's keyboard service can only be disposed asynchronously.
    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    [Fact]
    public void A_new_install_shows_every_step_to_do_in_order()
    {
        var view = Render<AutomaticInstallProgress>(p => p.Add(c => c.Install, NewInstall()));

        Assert.Equal("Running", view.Find("[data-testid=install-progress]").GetAttribute("data-status"));
        var steps = view.FindAll("[data-testid^=install-step-]").Where(e => e.HasAttribute("data-state")).ToList();
        Assert.Equal(Enum.GetNames<AutomaticInstallStepKind>().Select(n => $"install-step-{n}"), steps.Select(s => s.GetAttribute("data-testid")));
        Assert.All(steps, s => Assert.Equal("Pending", s.GetAttribute("data-state")));
        Assert.Contains("Find or create the team · to do", steps[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("started 09:00:00 UTC by admin@contoso.example", view.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void A_running_step_shows_a_spinner_and_when_it_started()
    {
        var install = NewInstall();
        Succeed(install, AutomaticInstallStepKind.FindOrCreateTeam, "Asked Teams to create \"Incidents\".");
        var wait = install.Step(AutomaticInstallStepKind.WaitForTeam);
        wait.State = StepState.Running;
        wait.StartedAt = Start.AddSeconds(2);

        var view = Render<AutomaticInstallProgress>(p => p.Add(c => c.Install, install));

        var step = view.Find("[data-testid=install-step-WaitForTeam]");
        Assert.Equal("Running", step.GetAttribute("data-state"));
        Assert.NotNull(step.QuerySelector(".mud-progress-circular"));
        Assert.Contains("working", step.TextContent, StringComparison.Ordinal);
        Assert.Contains("started 09:00:02 UTC", step.TextContent, StringComparison.Ordinal);
        Assert.Contains("Asked Teams to create", view.Find("[data-testid=install-step-FindOrCreateTeam]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Waiting_for_teams_says_so_with_the_next_look()
    {
        var install = NewInstall();
        Succeed(install, AutomaticInstallStepKind.FindOrCreateTeam, "Asked.");
        var wait = install.Step(AutomaticInstallStepKind.WaitForTeam);
        wait.State = StepState.Waiting;
        wait.StartedAt = Start.AddSeconds(2);
        wait.NextAttemptAt = Start.AddSeconds(32);
        wait.Detail = "Teams is creating the team (InProgress); next look in 30 s.";

        var view = Render<AutomaticInstallProgress>(p => p.Add(c => c.Install, install));

        var step = view.Find("[data-testid=install-step-WaitForTeam]");
        Assert.Contains("waiting for Teams", step.TextContent, StringComparison.Ordinal);
        Assert.Contains("next try 09:00:32 UTC", step.TextContent, StringComparison.Ordinal);
        Assert.Contains("Waiting for Microsoft", view.Find("[data-testid=install-status]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void A_retrying_step_shows_the_transient_error_and_how_many_retries()
    {
        var install = NewInstall();
        var step = install.Step(AutomaticInstallStepKind.FindOrCreateTeam);
        step.State = StepState.Waiting;
        step.StartedAt = Start;
        step.Attempts = 2;
        step.Error = "Microsoft Graph answered 429 TooManyRequests: Too many requests.";
        step.NextAttemptAt = Start.AddSeconds(5);

        var view = Render<AutomaticInstallProgress>(p => p.Add(c => c.Install, install));

        var shown = view.Find("[data-testid=install-step-FindOrCreateTeam]");
        Assert.Contains("retrying", shown.TextContent, StringComparison.Ordinal);
        Assert.Equal("retried 2 times", shown.QuerySelector("[data-testid=install-step-retries]")!.TextContent.Trim(' ', '·'));
        Assert.Contains("429", shown.QuerySelector("[data-testid=install-step-error]")!.TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failed_step_shows_why_and_the_request_id_and_the_install_needs_the_admin()
    {
        var install = NewInstall();
        Succeed(install, AutomaticInstallStepKind.FindOrCreateTeam, "Asked.");
        Succeed(install, AutomaticInstallStepKind.WaitForTeam, "Created.");
        var step = install.Step(AutomaticInstallStepKind.InstallApp);
        step.State = StepState.Failed;
        step.StartedAt = Start.AddSeconds(5);
        step.FinishedAt = Start.AddSeconds(6);
        step.Error = "Microsoft Graph answered 403 Forbidden: Missing role permissions.";
        step.RequestId = "0f1e2d3c-request";
        install.Status = AutomaticInstallStatus.Failed;
        install.FinishedAt = Start.AddSeconds(6);

        var view = Render<AutomaticInstallProgress>(p => p.Add(c => c.Install, install));

        var shown = view.Find("[data-testid=install-step-InstallApp]");
        Assert.Equal("Failed", shown.GetAttribute("data-state"));
        Assert.Contains("403", shown.TextContent, StringComparison.Ordinal);
        Assert.Contains("request id 0f1e2d3c-request", shown.TextContent, StringComparison.Ordinal);
        Assert.Contains("Stopped: needs you", view.Find("[data-testid=install-status]").TextContent, StringComparison.Ordinal);
        Assert.Equal("Pending", view.Find("[data-testid=install-step-PinTab]").GetAttribute("data-state"));
    }

    [Fact]
    public void A_finished_install_shows_every_step_done()
    {
        var install = NewInstall();
        foreach (var kind in Enum.GetValues<AutomaticInstallStepKind>())
        {
            Succeed(install, kind, $"{kind} done.");
        }

        install.Status = AutomaticInstallStatus.Succeeded;
        install.FinishedAt = Start.AddSeconds(9);

        var view = Render<AutomaticInstallProgress>(p => p.Add(c => c.Install, install));

        Assert.Equal("Done", view.Find("[data-testid=install-status]").TextContent.Trim());
        Assert.All(view.FindAll("[data-state]").Where(e => e.GetAttribute("data-testid")!.StartsWith("install-step-", StringComparison.Ordinal)),
            s => Assert.Equal("Succeeded", s.GetAttribute("data-state")));
        Assert.Contains("finished 09:00:09 UTC", view.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Before_consent_the_panel_asks_for_the_temporary_permissions_as_step_two_of_two_with_the_last_failure()
    {
        var member = await NewMemberAsync(setupGranted: false);
        var failed = new ConsentRequest { StateHash = "h", Outcome = ConsentOutcome.Failed, Error = "access_denied", ErrorCode = 65004, CorrelationId = "corr", TraceId = "trace", AnsweredAt = Start };

        var panel = Render<AutomaticInstallPanel>(p => p
            .Add(c => c.View, new SetupView(member.Organization, member.User, null, failed, []))
            .Add(c => c.Member, member)
            .Add(c => c.CanAct, true));

        var box = panel.Find("[data-testid=setup-permissions]");
        Assert.Contains("step 2 of 2", box.TextContent, StringComparison.Ordinal);
        Assert.Contains("temporary", box.TextContent, StringComparison.Ordinal);
        foreach (var permission in SetupPermissions.Names)
        {
            Assert.Contains(permission, panel.Find("[data-testid=setup-permission-list]").TextContent, StringComparison.Ordinal);
        }

        Assert.Contains("You cancelled the permission request.", panel.Find("[data-testid=consent-failure]").TextContent, StringComparison.Ordinal);
        Assert.False(panel.Find("[data-testid=grant-setup]").HasAttribute("disabled"));
        Assert.Empty(panel.FindAll("[data-testid=start-install]"));
    }

    [Fact]
    public async Task After_consent_the_panel_offers_to_start_and_a_viewer_cannot()
    {
        var member = await NewMemberAsync(setupGranted: true);

        var panel = Render<AutomaticInstallPanel>(p => p
            .Add(c => c.View, new SetupView(member.Organization, member.User, null, null, []))
            .Add(c => c.Member, member)
            .Add(c => c.CanAct, false));

        Assert.NotNull(panel.Find("[data-testid=setup-granted]"));
        Assert.True(panel.Find("[data-testid=start-install]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task A_failed_install_in_the_database_is_shown_with_a_retry()
    {
        var member = await NewMemberAsync(setupGranted: true);
        var install = AutomaticInstall.Start(member.Organization.Id, member.User.MicrosoftObjectId, "admin@contoso.example", Start);
        install.Status = AutomaticInstallStatus.Failed;
        install.Step(AutomaticInstallStepKind.FindOrCreateTeam).State = StepState.Failed;
        install.Step(AutomaticInstallStepKind.FindOrCreateTeam).Error = "Teams said no.";
        await using (var db = await services.Host.Services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>().CreateDbContextAsync())
        {
            db.AutomaticInstalls.Add(install);
            await db.SaveChangesAsync();
        }

        var panel = Render<AutomaticInstallPanel>(p => p
            .Add(c => c.View, new SetupView(member.Organization, member.User, null, null, []))
            .Add(c => c.Member, member)
            .Add(c => c.CanAct, true));

        Assert.Equal("Failed", panel.Find("[data-testid=install-progress]").GetAttribute("data-status"));
        Assert.Contains("Teams said no.", panel.Find("[data-testid=install-step-error]").TextContent, StringComparison.Ordinal);
        Assert.NotNull(panel.Find("[data-testid=install-retry]"));
    }

    private static AutomaticInstall NewInstall() => AutomaticInstall.Start(Guid.NewGuid(), Guid.NewGuid(), "admin@contoso.example", Start);

    private static void Succeed(AutomaticInstall install, AutomaticInstallStepKind kind, string detail)
    {
        var step = install.Step(kind);
        step.State = StepState.Succeeded;
        step.StartedAt = Start.AddSeconds((int)kind);
        step.FinishedAt = Start.AddSeconds((int)kind + 1);
        step.Detail = detail;
    }

    private async Task<Membership> NewMemberAsync(bool setupGranted)
    {
        var organization = new Organization
        {
            Name = "Contoso",
            MicrosoftTenantId = Guid.NewGuid(),
            SetupStage = SetupStage.GlobalPermissionsGranted,
            GlobalPermissionsGrantedAt = Start,
            SetupPermissionsGrantedAt = setupGranted ? Start : null,
        };
        var user = new User { OrganizationId = organization.Id, MicrosoftObjectId = Guid.NewGuid(), DisplayName = "Adele", UserPrincipalName = "admin@contoso.example", Role = UserRole.Owner };
        await using var db = await services.Host.Services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>().CreateDbContextAsync();
        db.Organizations.Add(organization);
        db.Users.Add(user);
        await db.SaveChangesAsync();
        return new Membership(organization, user, false);
    }
}
