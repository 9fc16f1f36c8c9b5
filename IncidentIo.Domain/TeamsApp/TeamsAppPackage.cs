using System.IO.Compression;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.TeamsApp;

/// <summary>
/// The Teams app package customers upload: the manifest rendered from
/// <c>teams-manifest/manifest.template.json</c> with <see cref="TeamsAppOptions"/>, and the two icons.
/// </summary>
public sealed partial class TeamsAppPackage
{
    public const string ManifestEntryName = "manifest.json";
    public const string ColorIconEntryName = "color.png";
    public const string OutlineIconEntryName = "outline.png";

    // A fixed entry time makes the same configuration give the same bytes, whichever instance builds it.
    private static readonly DateTimeOffset EntryTimestamp = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly JsonSerializerOptions ManifestJsonOptions = new()
    {
        WriteIndented = true,
        // The manifest never ends up inside HTML; keep names with accents readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly TeamsAppOptions options;

    public TeamsAppPackage(IOptions<TeamsAppOptions> options) => this.options = options.Value;

    public string Version => options.Version;

    /// <summary>The download name, e.g. <c>incidentio-teams-app-1.0.0.zip</c>.</summary>
    public string FileName => $"incidentio-teams-app-{options.Version}.zip";

    /// <summary>The values for the template's <c>{{Name}}</c> placeholders.</summary>
    public IReadOnlyDictionary<string, string> PlaceholderValues()
    {
        var tabSsoAppId = NormalizedGuid(options.TabSsoAppId);
        return new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["AppId"] = NormalizedGuid(options.AppId),
            ["BotId"] = NormalizedGuid(options.BotId),
            ["TabSsoAppId"] = tabSsoAppId,
            ["PortalHost"] = options.PortalHost,
            ["Version"] = options.Version,
            ["ShortName"] = options.ShortName,
            ["FullName"] = options.FullName,
            // The Application ID URI Teams SSO expects on the tab's Entra app: api://{host}/{client id}.
            ["WebApplicationResource"] = $"api://{options.PortalHost}/{tabSsoAppId}",
        };
    }

    /// <summary>The manifest as a JSON tree: the template with every placeholder in every string value replaced.</summary>
    public JsonObject RenderManifest()
    {
        var manifest = JsonNode.Parse(TeamsAppResources.ReadManifestTemplate())?.AsObject()
            ?? throw new InvalidOperationException("The Teams manifest template is not a JSON object.");
        var values = PlaceholderValues();
        SubstitutePlaceholders(manifest, values);
        return manifest;
    }

    /// <summary>The rendered manifest as UTF-8 JSON, the bytes that go into the package.</summary>
    public byte[] RenderManifestJson() => JsonSerializer.SerializeToUtf8Bytes(RenderManifest(), ManifestJsonOptions);

    /// <summary>The package: <c>manifest.json</c>, <c>color.png</c> and <c>outline.png</c> at the top level, nothing else.</summary>
    public byte[] BuildZip()
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            AddEntry(zip, ManifestEntryName, RenderManifestJson());
            AddEntry(zip, ColorIconEntryName, TeamsAppResources.ReadColorIcon());
            AddEntry(zip, OutlineIconEntryName, TeamsAppResources.ReadOutlineIcon());
        }

        return buffer.ToArray();
    }

    private static void AddEntry(ZipArchive zip, string name, byte[] content)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
        entry.LastWriteTime = EntryTimestamp;
        using var stream = entry.Open();
        stream.Write(content);
    }

    private static void SubstitutePlaceholders(JsonNode? node, IReadOnlyDictionary<string, string> values)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj.ToList())
                {
                    SubstitutePlaceholders(child, values);
                }

                break;
            case JsonArray array:
                foreach (var child in array.ToList())
                {
                    SubstitutePlaceholders(child, values);
                }

                break;
            case JsonValue value when value.TryGetValue<string>(out var text) && text.Contains("{{", StringComparison.Ordinal):
                value.ReplaceWith(Substitute(text, values));
                break;
        }
    }

    private static string Substitute(string text, IReadOnlyDictionary<string, string> values) =>
        Placeholder().Replace(text, match => values.TryGetValue(match.Groups["name"].Value, out var value)
            ? value
            : throw new InvalidOperationException($"The Teams manifest template uses {match.Value}, which has no value."));

    private static string NormalizedGuid(string value) => Guid.ParseExact(value, "D").ToString("D");

    [GeneratedRegex(@"\{\{(?<name>[A-Za-z]+)\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();
}
