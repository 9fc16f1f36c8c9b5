using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace IncidentIo.EndToEnd.Tests.Circuits;

/// <summary>
/// What blazor.web.js reads from a prerendered page before it makes the page interactive: the
/// interactive server components' start markers (<c>&lt;!--Blazor:{"type":"server",...}--&gt;</c>,
/// each with its data-protected descriptor) in document order, and the page's persisted component
/// state (<c>&lt;!--Blazor-Server-Component-State:...--&gt;</c>), empty when the page persisted none.
/// </summary>
public sealed partial class PrerenderedPage
{
    private PrerenderedPage(IReadOnlyList<JsonObject> serverComponents, string serverState)
    {
        ServerComponents = serverComponents;
        ServerState = serverState;
    }

    public IReadOnlyList<JsonObject> ServerComponents { get; }

    public string ServerState { get; }

    public static PrerenderedPage Parse(string html)
    {
        // End markers carry only the prerender id; start markers say their type.
        var components = Marker().Matches(html)
            .Select(m => JsonNode.Parse(m.Groups["json"].Value) as JsonObject)
            .Where(marker => marker?["type"]?.GetValue<string>() == "server")
            .Select(marker => marker!)
            .ToList();
        var state = ServerStateComment().Match(html);
        return new PrerenderedPage(components, state.Success ? state.Groups["state"].Value : "");
    }

    /// <summary>
    /// The first <c>UpdateRootComponents</c> batch blazor.web.js sends (WebRootComponentManager): an
    /// "add" for each marker, numbered from 1 in document order, with the marker as the page had it.
    /// </summary>
    public string AddOperations()
    {
        var operations = new JsonArray();
        for (var i = 0; i < ServerComponents.Count; i++)
        {
            operations.Add(new JsonObject
            {
                ["type"] = "add",
                ["ssrComponentId"] = i + 1,
                ["marker"] = ServerComponents[i].DeepClone(),
            });
        }

        return new JsonObject { ["batchId"] = 1, ["operations"] = operations }.ToJsonString();
    }

    [GeneratedRegex(@"<!--Blazor:(?<json>\{.*?\})-->", RegexOptions.Singleline)]
    private static partial Regex Marker();

    [GeneratedRegex(@"<!--Blazor-Server-Component-State:(?<state>[A-Za-z0-9+/=]+)-->")]
    private static partial Regex ServerStateComment();
}
