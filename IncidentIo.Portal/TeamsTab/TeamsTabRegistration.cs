using IncidentIo.Domain.Hosting;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;

namespace IncidentIo.Portal.TeamsTab;

/// <summary>
/// The tab inside Teams: Teams shows it in an iframe on its own site, so our tab pages (only
/// those) may be framed by Teams' hosts; every other page may be framed by nobody but us.
/// </summary>
public static class TeamsTabRegistration
{
    /// <summary>Where Microsoft's Teams clients (web, desktop, Outlook, the Microsoft 365 app) frame tabs from.</summary>
    public static readonly string[] TeamsHosts =
    [
        "https://teams.microsoft.com", "https://*.teams.microsoft.com", "https://teams.cloud.microsoft", "https://*.cloud.microsoft",
        "https://*.office.com", "https://*.microsoft365.com", "https://*.teams.microsoft.us", "https://local.teams.office.com",
    ];

    /// <summary>Hosts other than Microsoft's that may host our tab: the Sandbox's Teams view in Sandbox mode.</summary>
    public static string[] ExtraHostOrigins(MicrosoftOptions microsoft) =>
        microsoft.IsSandbox ? [new Uri(microsoft.SandboxOrigin).GetLeftPart(UriPartial.Authority)] : [];

    public static IServiceCollection AddTeamsTab(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<TeamsTabSignIn>();
        // Content-Security-Policy frame-ancestors decides framing; the antiforgery's own
        // X-Frame-Options: SAMEORIGIN would stop Teams from showing the tab at all.
        services.AddAntiforgery(options => options.SuppressXFrameOptionsHeader = true);
        return services;
    }

    public static WebApplication UseTeamsTabFraming(this WebApplication app)
    {
        var microsoft = app.Services.GetRequiredService<IOptions<MicrosoftOptions>>().Value;
        var extra = app.Configuration.GetSection("TeamsApp:FrameAncestors").Get<string[]>() ?? [];
        // The Sandbox's Teams view plays Teams' part in the embedded default and in tests.
        var tabPolicy = $"frame-ancestors 'self' {string.Join(' ', TeamsHosts.Concat(ExtraHostOrigins(microsoft)).Concat(extra))}";
        const string elsewherePolicy = "frame-ancestors 'self'";

        app.Use((context, next) =>
        {
            var policy = context.Request.Path.StartsWithSegments("/teams") ? tabPolicy : elsewherePolicy;
            context.Response.OnStarting(() =>
            {
                context.Response.Headers.ContentSecurityPolicy = policy;
                return Task.CompletedTask;
            });
            return next();
        });
        return app;
    }

    /// <summary>Serves the Teams host SDK copied beside the Portal at build (see the project file).</summary>
    public static WebApplication MapTeamsJs(this WebApplication app)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "teams-js");
        if (Directory.Exists(folder))
        {
            app.UseStaticFiles(new StaticFileOptions { FileProvider = new PhysicalFileProvider(folder), RequestPath = "/teams/js" });
        }
        else
        {
            app.Logger.LogWarning("The Teams tab's script is missing ({Folder}): build the Portal with npm installed", folder);
        }

        return app;
    }
}
