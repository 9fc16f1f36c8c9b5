using System.IO.Compression;
using System.Net;
using System.Text.Json;

namespace IncidentIo.Portal.Tests.Setup;

public sealed class TeamsAppPackageDownloadTests : IAsyncLifetime
{
    private readonly PortalFactory portal = PortalFactory.OnSqlite();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await portal.DisposeAsync();

    [Fact]
    public async Task The_portal_serves_the_package_customers_upload()
    {
        var response = await portal.CreateClient().GetAsync("/setup/teams-app-package.zip");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/zip", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("incidentio-teams-app-1.1.0.zip", response.Content.Headers.ContentDisposition?.FileNameStar ?? response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        using var zip = new ZipArchive(await response.Content.ReadAsStreamAsync());
        Assert.Equal(["color.png", "manifest.json", "outline.png"], zip.Entries.Select(e => e.FullName).Order());
    }

    [Fact]
    public async Task The_manifest_inside_is_the_one_shown_for_inspection()
    {
        var client = portal.CreateClient();

        var shown = await client.GetStringAsync("/setup/teams-app-manifest.json");
        using var zip = new ZipArchive(await client.GetStreamAsync("/setup/teams-app-package.zip"));
        using var packaged = new StreamReader(zip.GetEntry("manifest.json")!.Open());

        Assert.Equal(shown, await packaged.ReadToEndAsync());
        using var manifest = JsonDocument.Parse(shown);
        Assert.Equal("1.29", manifest.RootElement.GetProperty("manifestVersion").GetString());
    }
}
