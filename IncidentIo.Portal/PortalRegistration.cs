using Hangfire;
using IncidentIo.Domain;
using IncidentIo.Domain.Health;
using IncidentIo.Domain.Hosting;
using IncidentIo.Portal.Bot;
using IncidentIo.Portal.Circuits;
using IncidentIo.Portal.Hosting;
using IncidentIo.Portal.Operations;
using IncidentIo.Portal.Setup;
using IncidentIo.Portal.SignIn;
using IncidentIo.Portal.Shell;
using IncidentIo.Portal.Support;
using IncidentIo.Portal.TeamsTab;
using Microsoft.Extensions.Options;
using MudBlazor.Services;

namespace IncidentIo.Portal;

public static class PortalRegistration
{
    public static WebApplicationBuilder AddPortal(this WebApplicationBuilder builder)
    {
        // In-process jobs run their server here; in distributed mode the Portal only enqueues.
        var runJobServer = !string.Equals(builder.Configuration["Jobs:Mode"], JobsOptions.Distributed, StringComparison.OrdinalIgnoreCase);
        builder.AddIncidentIoDomain("portal", runJobServer);

        // Serves package assets (MudBlazor) from the build output in every environment, not only
        // Development; a published app has them in wwwroot and this does nothing.
        builder.WebHost.UseStaticWebAssets();
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddPortalCircuits(builder.Configuration);
        builder.Services.AddMudServices();
        builder.UseLocalHttpsCertificateUnlessConfigured();
        builder.AddProxyHeaders();
        builder.AddPortalSignIn();
        builder.Services.AddSingleton<OperatorAccess>();
        builder.Services.AddSupportContact(builder.Configuration);
        builder.Services.AddSupportConsole();
        builder.Services.AddTeamsTab(builder.Configuration);
        return builder;
    }

    public static WebApplication MapPortal(this WebApplication app)
    {
        app.UseProxyHeaders();
        if (!app.Environment.IsDevelopment())
        {
            app.UseExceptionHandler("/error", createScopeForErrors: true);
            app.UseHsts();
        }

        app.UseTeamsTabFraming();
        app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
        app.UseHttpsRedirection();
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseAntiforgery();
        app.UseRateLimiter();

        var operators = app.Services.GetRequiredService<OperatorAccess>();
        app.MapHealthEndpoint(operators.IsOperator);

        // Operators only (OperatorAccess): our staff, signed in; in Development also this machine.
        app.MapHangfireDashboard("/hangfire", new DashboardOptions
        {
            Authorization = [new OperatorsDashboardFilter()],
            DashboardTitle = "IncidentIo jobs",
            AppPath = "/system",
        });

        app.MapPortalSignIn();
        app.MapBotEndpoint();
        app.MapTeamsAppPackage();
        app.MapConsentEndpoints();
        app.MapTeamsJs();
        app.MapStaticAssets();
        // Framing is decided per page by UseTeamsTabFraming, not by Blazor's one policy for all.
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode(o => o.ContentSecurityFrameAncestorsPolicy = null);

        app.Lifetime.ApplicationStarted.Register(() => AnnounceAddresses(app));
        return app;
    }

    /// <summary>The one line a newcomer needs: where to click, and in the embedded default who to sign in as.</summary>
    private static void AnnounceAddresses(WebApplication app)
    {
        var database = app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
        var jobs = app.Services.GetRequiredService<IOptions<JobsOptions>>().Value;
        var microsoft = app.Services.GetRequiredService<IOptions<MicrosoftOptions>>().Value;
        var sandbox = app.Services.GetService<EmbeddedSandbox>() is { } embedded
            ? $" Microsoft 365 is simulated at {embedded.Host.Origin}/sandbox: sign in as {DemoAccounts}."
            : "";
        app.Logger.LogInformation(
            "IncidentIo portal is ready at {Urls} (database: {Provider}, jobs: {JobMode}, Microsoft: {MicrosoftMode}).{Sandbox}",
            string.Join(" and ", app.Urls), database.Provider, jobs.Mode, microsoft.Mode, sandbox);
    }

    private const string DemoAccounts =
        "admin@contoso.example (Global Administrator: runs setup), user@contoso.example (a member), staff@incidentio.example (our support staff); no password";
}
