using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace IncidentIo.Sandbox.Graph;

/// <summary>
/// <c>POST /v1.0/$batch</c>: JSON batching. Up to 20 requests, each run as a direct call with the
/// batch's token; <c>dependsOn</c> orders them and a failed prerequisite gives 424 to its dependants.
/// Independent requests run concurrently. The batch answers 200 whatever its steps answered; only a
/// malformed batch is 400.
/// </summary>
public static class BatchEndpoint
{
    public const int MaxRequests = 20;

    private static readonly string[] Methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];

    public static void MapBatch(this IEndpointRouteBuilder graph) => graph.MapPost("/$batch", Handle);

    private static async Task<IResult> Handle(HttpContext http, BatchDispatcher dispatcher)
    {
        JsonNode? root;
        try
        {
            root = await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted);
        }
        catch (JsonException)
        {
            return Malformed(http);
        }

        if (root is not JsonObject { } batch || batch["requests"] is not JsonArray requests)
        {
            return Malformed(http);
        }

        if (requests.Count == 0)
        {
            return GraphErrors.BadRequest(http, "BadRequest", "Batch request must contain at least one request.");
        }

        if (requests.Count > MaxRequests)
        {
            return GraphErrors.BadRequest(http, "BadRequest", $"Batch request contains {requests.Count} requests; the maximum is {MaxRequests}.");
        }

        var steps = new List<BatchStep>();
        foreach (var node in requests)
        {
            var (step, problem) = Parse(node);
            if (step is null)
            {
                return GraphErrors.BadRequest(http, "BadRequest", problem!);
            }

            if (steps.Any(s => s.Id.Equals(step.Id, StringComparison.OrdinalIgnoreCase)))
            {
                return GraphErrors.BadRequest(http, "BadRequest", $"Request Id {step.Id} has to be unique in a batch.");
            }

            steps.Add(step);
        }

        var order = Order(steps, out var orderProblem);
        if (order is null)
        {
            return GraphErrors.BadRequest(http, "BadRequest", orderProblem!);
        }

        var running = new Dictionary<string, Task<JsonObject>>(StringComparer.OrdinalIgnoreCase);
        foreach (var step in order)
        {
            running[step.Id] = RunAsync(http, dispatcher, step, [.. step.DependsOn.Select(d => running[d])]);
        }

        var responses = new JsonArray();
        foreach (var step in steps)
        {
            responses.Add(await running[step.Id]);
        }

        return Results.Json(new JsonObject { ["responses"] = responses });
    }

    private static async Task<JsonObject> RunAsync(HttpContext http, BatchDispatcher dispatcher, BatchStep step, Task<JsonObject>[] prerequisites)
    {
        var before = await Task.WhenAll(prerequisites);
        if (before.Any(r => r["status"]!.GetValue<int>() is < 200 or > 299))
        {
            return StepError(http, step.Id, StatusCodes.Status424FailedDependency, "FailedDependency", "The request could not be run because a request it depends on failed.");
        }

        if (!step.Url.StartsWith('/') || step.Url.StartsWith("//", StringComparison.Ordinal))
        {
            return StepError(http, step.Id, StatusCodes.Status400BadRequest, "BadRequest", $"Invalid request URL '{step.Url}': it must be relative to the service root, e.g. /users.");
        }

        if (step.Url.Split('?')[0].TrimEnd('/').Equals("/$batch", StringComparison.OrdinalIgnoreCase))
        {
            return StepError(http, step.Id, StatusCodes.Status400BadRequest, "BadRequest", "A batch cannot contain a batch.");
        }

        return await dispatcher.DispatchAsync(http, step);
    }

    private static (BatchStep? Step, string? Problem) Parse(JsonNode? node)
    {
        if (node is not JsonObject request)
        {
            return (null, "Invalid batch payload format.");
        }

        var id = request["id"] is JsonValue idValue ? idValue.ToString() : null;
        var method = request["method"] is JsonValue m && m.TryGetValue<string>(out var ms) ? ms.ToUpperInvariant() : null;
        var url = request["url"] is JsonValue u && u.TryGetValue<string>(out var us) ? us : null;
        if (string.IsNullOrEmpty(id) || method is null || string.IsNullOrEmpty(url))
        {
            return (null, "Invalid batch payload format: every request needs id, method and url.");
        }

        if (!Methods.Contains(method))
        {
            return (null, $"Invalid method '{method}' for request {id}.");
        }

        var headers = new List<KeyValuePair<string, string>>();
        if (request["headers"] is JsonObject headerObject)
        {
            headers.AddRange(headerObject.Select(h => new KeyValuePair<string, string>(h.Key, h.Value?.ToString() ?? "")));
        }

        byte[]? body = null;
        if (request["body"] is { } bodyNode)
        {
            var contentType = headers.FirstOrDefault(h => h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)).Value;
            if (contentType is null)
            {
                return (null, $"Content-Type header must be specified for request {id}, which has a body.");
            }

            try
            {
                body = BatchStep.BodyBytes(bodyNode, contentType);
            }
            catch (FormatException)
            {
                return (null, $"The body of request {id} is not base64 encoded.");
            }
        }

        var dependsOn = request["dependsOn"] is JsonArray deps ? deps.Select(d => d?.ToString() ?? "").ToList() : [];
        return (new BatchStep(id, method, url, headers, body, dependsOn), null);
    }

    /// <summary>Steps with their prerequisites first; null when a dependency is unknown or circular.</summary>
    private static List<BatchStep>? Order(List<BatchStep> steps, out string? problem)
    {
        problem = null;
        var byId = steps.ToDictionary(s => s.Id, StringComparer.OrdinalIgnoreCase);
        var unknown = steps.SelectMany(s => s.DependsOn.Where(d => !byId.ContainsKey(d)).Select(d => (s.Id, d))).FirstOrDefault();
        if (unknown != default)
        {
            problem = $"Request {unknown.Id} depends on {unknown.d}, which is not in the batch.";
            return null;
        }

        var ordered = new List<BatchStep>();
        var state = new Dictionary<string, bool>(StringComparer.OrdinalIgnoreCase); // false = visiting, true = done
        bool Visit(BatchStep step)
        {
            if (state.TryGetValue(step.Id, out var done))
            {
                return done;
            }

            state[step.Id] = false;
            if (!step.DependsOn.All(d => Visit(byId[d])))
            {
                return false;
            }

            state[step.Id] = true;
            ordered.Add(step);
            return true;
        }

        if (!steps.All(Visit))
        {
            problem = "The dependsOn references of the batch form a cycle.";
            return null;
        }

        return ordered;
    }

    private static JsonObject StepError(HttpContext http, string id, int status, string code, string message) => new()
    {
        ["id"] = id,
        ["status"] = status,
        ["headers"] = new JsonObject { ["Content-Type"] = "application/json" },
        ["body"] = GraphErrors.Envelope(http, code, message),
    };

    private static IResult Malformed(HttpContext http) => GraphErrors.BadRequest(http, "BadRequest", "Invalid batch payload format.");
}
