using System.IO.Compression;
using System.Text.Json.Nodes;
using IncidentIo.Domain.TeamsApp;

namespace IncidentIo.Domain.Tests.TeamsApp;

public sealed class TeamsAppPackageZipTests
{
    private readonly TeamsAppPackage package = TeamsAppTestOptions.Package(TeamsAppTestOptions.Production());

    [Fact]
    public void The_package_holds_exactly_the_manifest_and_the_two_icons_at_the_top_level()
    {
        using var zip = new ZipArchive(new MemoryStream(package.BuildZip()), ZipArchiveMode.Read);

        Assert.Equal(
            ["color.png", "manifest.json", "outline.png"],
            zip.Entries.Select(entry => entry.FullName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_packaged_manifest_is_the_rendered_one_and_the_icons_are_the_committed_ones()
    {
        using var zip = new ZipArchive(new MemoryStream(package.BuildZip()), ZipArchiveMode.Read);

        var packaged = JsonNode.Parse(Read(zip, "manifest.json"));
        Assert.True(JsonNode.DeepEquals(package.RenderManifest(), packaged));
        Assert.Equal(package.RenderManifestJson(), Read(zip, "manifest.json"));
        Assert.Equal(TeamsAppResources.ReadColorIcon(), Read(zip, "color.png"));
        Assert.Equal(TeamsAppResources.ReadOutlineIcon(), Read(zip, "outline.png"));
    }

    [Fact]
    public void The_same_configuration_gives_the_same_bytes()
    {
        // Every Portal instance serves an identical download for one configuration.
        Assert.Equal(package.BuildZip(), TeamsAppTestOptions.Package(TeamsAppTestOptions.Production()).BuildZip());
    }

    [Fact]
    public void The_download_name_carries_the_version()
    {
        Assert.Equal("incidentio-teams-app-2.7.13.zip", package.FileName);
    }

    private static byte[] Read(ZipArchive zip, string name)
    {
        using var stream = zip.GetEntry(name)!.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
