using System.Text.Json;
using IncidentIo.Domain.TeamsApp;

namespace IncidentIo.Domain.Tests.TeamsApp;

public sealed class TeamsManifestSchemaTests
{
    public static TheoryData<string> Configurations => ["embedded default", "production"];

    [Theory]
    [MemberData(nameof(Configurations))]
    public void The_rendered_manifest_is_valid_against_the_official_v1_29_schema(string configuration)
    {
        var options = configuration == "production" ? TeamsAppTestOptions.Production() : new TeamsAppOptions();
        using var manifest = JsonDocument.Parse(TeamsAppTestOptions.Package(options).RenderManifestJson());

        Assert.Empty(TeamsManifestSchema.Problems(manifest.RootElement));
    }

    [Fact]
    public void The_schema_check_catches_a_broken_manifest()
    {
        // Guards against a schema that accepts anything (for example one that failed to load its rules).
        var manifest = TeamsAppTestOptions.Package(new TeamsAppOptions()).RenderManifest();
        manifest["id"] = "not-a-guid";
        manifest["name"]!["short"] = new string('x', 31);
        manifest["bots"]![0]!["scopes"]!.AsArray().Add("everywhere");
        manifest.Remove("accentColor");
        using var document = JsonDocument.Parse(manifest.ToJsonString());

        var problems = TeamsManifestSchema.Problems(document.RootElement);

        Assert.Contains(problems, problem => problem.StartsWith("/id ", StringComparison.Ordinal));
        Assert.Contains(problems, problem => problem.StartsWith("/name/short ", StringComparison.Ordinal));
        Assert.Contains(problems, problem => problem.StartsWith("/bots/0/scopes/3 ", StringComparison.Ordinal));
        Assert.Contains(problems, problem => problem.Contains("accentColor", StringComparison.Ordinal));
    }

    [Fact]
    public void The_template_names_the_schema_version_it_is_checked_against()
    {
        var manifest = TeamsAppTestOptions.Package(new TeamsAppOptions()).RenderManifest();
        using var schema = JsonDocument.Parse(TeamsManifestSchema.ReadText());

        Assert.Equal("1.29", (string?)manifest["manifestVersion"]);
        Assert.Equal("1.29", schema.RootElement.GetProperty("properties").GetProperty("manifestVersion").GetProperty("const").GetString());
        Assert.Equal("https://developer.microsoft.com/json-schemas/teams/v1.29/MicrosoftTeams.schema.json", (string?)manifest["$schema"]);
    }
}
