using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using IncidentIo.EndToEnd.Tests.Journeys;
using IncidentIo.Testing;

namespace IncidentIo.EndToEnd.Tests.Readme;

/// <summary>
/// "Running in production" as the README says it, in a fresh clone: publish the Portal and the
/// Worker with its commands, start each with its command from the repository root, with the
/// settings it lists (our values: a PostgreSQL database of the test cluster, a data-protection
/// certificate made here). A browser then walks the whole guided setup, whose install the Worker runs.
/// </summary>
[Collection(ReadmeCommandsRunOneAtATime.Name)]
public sealed class ReadmeProductionTests : PortalJourney
{
    private const string Section = "Running in production";
    private readonly List<ProductProcess> others = [];
    private FreshClone clone = null!;
    private string secrets = null!;

    protected override async Task<(ProductProcess Process, string Url, string SandboxOrigin)> StartPortalAsync()
    {
        clone = await FreshClone.CreateAsync();
        secrets = Directory.CreateTempSubdirectory("incidentio-secrets-").FullName;
        var commands = ReadmeCommands.In(Section);
        var publishes = commands.Where(c => c.StartsWith("dotnet publish ", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, publishes.Count);
        foreach (var publish in publishes)
        {
            await using var run = ProductProcess.StartCommand(publish, clone.Root);
            Assert.True(await run.WaitForExitAsync(TimeSpan.FromMinutes(10)) == 0, $"'{publish}' failed:\n{run.Output}");
        }

        var url = $"https://127.0.0.1:{FreePort.Next()}";
        var sandboxOrigin = $"https://localhost:{FreePort.Next()}";
        var settings = new Dictionary<string, string?>
        {
            ["Database__Provider"] = "Postgres",
            ["ConnectionStrings__IncidentIo"] = await (await PostgresCluster.GetAsync()).CreateDatabaseAsync("readme"),
            ["Jobs__Mode"] = "Distributed",
            ["DataProtection__CertificatePath"] = DataProtectionCertificate(),
            ["DataFolder"] = DataFolder,
            ["Microsoft__SandboxOrigin"] = sandboxOrigin,
        };

        var portal = ProductProcess.StartCommand(Only(commands, "IncidentIo.Portal.dll"), clone.Root, new Dictionary<string, string?>(settings)
        {
            ["ASPNETCORE_URLS"] = url,
            ["TeamsApp__PortalHost"] = new Uri(url).Authority,
        });
        await portal.WaitForOutputAsync($"IncidentIo portal is ready at {url}", TimeSpan.FromMinutes(2));

        // A Worker on another machine would be given the Sandbox's authority (README: Microsoft:SandboxAuthorityCertificatePath).
        var worker = ProductProcess.StartCommand(Only(commands, "IncidentIo.Worker.dll"), clone.Root, new Dictionary<string, string?>(settings)
        {
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{FreePort.Next()}",
            ["Microsoft__SandboxAuthorityCertificatePath"] = Path.Combine(DataFolder, "certificates", "ca.crt"),
        });
        others.Add(worker);
        await worker.WaitForOutputAsync("IncidentIo worker is running", TimeSpan.FromMinutes(2));
        return (portal, url, sandboxOrigin);
    }

    [Fact]
    public async Task The_published_portal_and_worker_started_from_the_repository_root_serve_styled_pages_and_finish_setup()
    {
        var home = await Browser.NewPageAsync();
        var styles = new List<(string Url, int Status)>();
        home.Response += (_, response) =>
        {
            if (response.Url.EndsWith(".css", StringComparison.Ordinal))
            {
                styles.Add((response.Url, response.Status));
            }
        };
        await home.GotoAsync(Url);
        await Browser.WaitForCircuitAsync(home);
        Assert.Contains(styles, s => s.Url.Contains("MudBlazor", StringComparison.Ordinal) && s.Status == 200);
        Assert.DoesNotContain(styles, s => s.Status != 200);

        var page = await CompleteAutomaticSetupAsync();
        await Browser.ScreenshotAsync(page, "readme-production-setup-done");

        var health = await page.APIRequest.GetAsync($"{Url}/healthz");
        Assert.Equal(200, health.Status);
        using var report = JsonDocument.Parse(await health.TextAsync());
        // The Portal runs no jobs in this mode: the install reaching "done" was the Worker's.
        Assert.Equal("Healthy", report.RootElement.GetProperty("status").GetString());
    }

    public override async Task DisposeAsync()
    {
        foreach (var process in others)
        {
            await process.DisposeAsync();
        }

        await base.DisposeAsync();
        clone.Dispose();
        Directory.Delete(secrets, recursive: true);
    }

    private static string Only(IReadOnlyList<string> commands, string assembly) =>
        Assert.Single(commands, c => c.StartsWith("dotnet out/", StringComparison.Ordinal) && c.Contains(assembly, StringComparison.Ordinal));

    /// <summary>The certificate every process protects the shared data-protection keys with.</summary>
    private string DataProtectionCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=IncidentIo data protection", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var path = Path.Combine(secrets, "dataprotection.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx));
        return path;
    }
}
