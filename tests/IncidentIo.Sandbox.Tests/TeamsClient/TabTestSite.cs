using Microsoft.Extensions.Hosting;
using System.Net;
using IncidentIo.Sandbox.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IncidentIo.Sandbox.Tests.TeamsClient;

/// <summary>
/// A tiny https site standing in for a Teams app: a content page that calls <c>app.initialize()</c>,
/// <c>app.getContext()</c> and <c>authentication.getAuthToken()</c> and writes what came back into
/// <c>#result</c> (or <c>#error</c>), and a configuration page that sets its tab on Save. Both load
/// the real teams-js 2.58.0 that the Portal's build installs from npm.
/// </summary>
public sealed class TabTestSite : IAsyncDisposable
{
    private const string ContentPage = """
        <!DOCTYPE html><html><head><meta charset="utf-8"><title>Tab</title><script src="/teams.js"></script></head><body>
        <pre id="progress">starting</pre>
        <script>
          (async () => {
            const out = {};
            const progress = document.getElementById("progress");
            try {
              await microsoftTeams.app.initialize();
              progress.textContent = "initialized";
              out.context = await microsoftTeams.app.getContext();
              out.authenticationSupported = microsoftTeams.authentication.isSupported ? microsoftTeams.authentication.isSupported() : null;
              microsoftTeams.app.notifySuccess();
              try { out.token = await microsoftTeams.authentication.getAuthToken(); }
              catch (e) { out.tokenError = e.message; }
              const pre = document.createElement("pre");
              pre.id = "result";
              pre.textContent = JSON.stringify(out);
              document.body.appendChild(pre);
            } catch (e) {
              const pre = document.createElement("pre");
              pre.id = "error";
              pre.textContent = String(e && e.message || e);
              document.body.appendChild(pre);
            }
          })();
        </script></body></html>
        """;

    private const string ConfigurationPage = """
        <!DOCTYPE html><html><head><meta charset="utf-8"><title>Configure</title><script src="/teams.js"></script></head><body>
        <p id="state">starting</p>
        <script>
          (async () => {
            await microsoftTeams.app.initialize();
            const context = await microsoftTeams.app.getContext();
            microsoftTeams.pages.config.registerOnSaveHandler(async (saveEvent) => {
              await microsoftTeams.pages.config.setConfig({
                entityId: "incidents-" + context.channel.id,
                contentUrl: location.origin + "/tab.html",
                websiteUrl: location.origin + "/incidents",
                suggestedDisplayName: "Incidents",
              });
              saveEvent.notifySuccess();
            });
            microsoftTeams.pages.config.setValidityState(true);
            document.getElementById("state").textContent = "ready in " + context.page.frameContext;
          })();
        </script></body></html>
        """;

    private readonly WebApplication _web;

    private TabTestSite(WebApplication web, string origin)
    {
        _web = web;
        Origin = origin;
    }

    public string Origin { get; }

    public static async Task<TabTestSite> StartAsync()
    {
        var teamsJs = TeamsJsFile();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Host.UseDefaultServiceProvider(o => (o.ValidateScopes, o.ValidateOnBuild) = (true, true));
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(TestCertificates.Authority.ServerCertificate)));
        var web = builder.Build();
        web.MapGet("/tab.html", () => Results.Content(ContentPage, "text/html; charset=utf-8"));
        web.MapGet("/config.html", () => Results.Content(ConfigurationPage, "text/html; charset=utf-8"));
        web.MapGet("/teams.js", () => Results.File(teamsJs, "text/javascript"));
        await web.StartAsync();
        var address = web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TabTestSite(web, $"https://localhost:{new Uri(address).Port}");
    }

    /// <summary>The browser file of @microsoft/teams-js, installed by building IncidentIo.Portal (npm ci).</summary>
    private static string TeamsJsFile()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "IncidentIo.sln")))
            {
                var file = Path.Combine(folder.FullName, "IncidentIo.Portal", "node_modules", "@microsoft", "teams-js", "dist", "umd", "MicrosoftTeams.min.js");
                return File.Exists(file) ? file : throw new FileNotFoundException($"Build IncidentIo.Portal first (it runs npm ci): {file} is missing.", file);
            }
        }

        throw new InvalidOperationException("IncidentIo.sln not found above " + AppContext.BaseDirectory);
    }

    public ValueTask DisposeAsync() => _web.DisposeAsync();
}
