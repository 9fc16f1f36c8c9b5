using System.Text.Json;
using Json.Schema;

namespace IncidentIo.Domain.Tests.TeamsApp;

/// <summary>
/// Microsoft's official Teams app manifest schema v1.29 (teams-manifest/schema/), embedded in
/// this test assembly so checking a manifest needs no network.
/// </summary>
internal static class TeamsManifestSchema
{
    private const string ResourceName = "IncidentIo.TeamsApp.MicrosoftTeams.schema.v1.29.json";

    // The file declares draft-04 but uses draft-06/07 keywords ("const", "if"/"then"), so it is
    // meant to be read as a newer draft. JsonSchema.Net has no draft-04: its identifier is
    // registered here as draft-07, for this schema only (a local registry, not the global one).
    private static readonly Uri DeclaredDraft = new("http://json-schema.org/draft-04/schema#");

    private static readonly Lazy<JsonSchema> Schema = new(Load);

    /// <summary>The schema's complaints about the manifest, one line each; empty when it is valid.</summary>
    public static IReadOnlyList<string> Problems(JsonElement manifest)
    {
        var result = Schema.Value.Evaluate(manifest, new EvaluationOptions
        {
            OutputFormat = OutputFormat.List,
            RequireFormatValidation = true,
        });
        if (result.IsValid)
        {
            return [];
        }

        return (result.Details ?? [result])
            .Where(detail => detail.Errors is { Count: > 0 })
            .SelectMany(detail => detail.Errors!.Select(error => $"{detail.InstanceLocation} ({detail.EvaluationPath}): {error.Key}: {error.Value}"))
            .ToList();
    }

    public static string ReadText()
    {
        using var stream = typeof(TeamsManifestSchema).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static JsonSchema Load()
    {
        var options = new BuildOptions { Dialect = Dialect.Draft07 };
        options.DialectRegistry.Register(Dialect.Draft07.With([], id: DeclaredDraft));
        return JsonSchema.FromText(ReadText(), options);
    }
}
