using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace IncidentIo.Sandbox.Graph;

/// <summary>
/// Runs one <c>$batch</c> step through the Sandbox's own request pipeline (routing, token
/// validation, faults, throttling, the endpoint), in process, as if it had arrived on its own.
/// </summary>
public sealed class BatchDispatcher
{
    private static readonly string[] DroppedHeaders = ["request-id", "client-request-id", "x-ms-ags-diagnostic"];

    private RequestDelegate? _pipeline;

    /// <summary>
    /// Call before <c>UseRouting</c>: remembers the rest of the pipeline (routing onwards) so steps
    /// go through exactly what a direct call goes through.
    /// </summary>
    public static void Capture(IApplicationBuilder app)
    {
        var dispatcher = app.ApplicationServices.GetRequiredService<BatchDispatcher>();
        app.Use(next =>
        {
            dispatcher._pipeline = next;
            return next;
        });
    }

    /// <summary>Runs a step; <paramref name="outer"/> gives the Authorization header, services and cancellation.</summary>
    public async Task<JsonObject> DispatchAsync(HttpContext outer, BatchStep step)
    {
        var pipeline = _pipeline ?? throw new InvalidOperationException("The batch dispatcher was not captured in the pipeline.");
        var (path, query) = SplitUrl(step.Url);
        var request = new HttpRequestFeature
        {
            Method = step.Method,
            Scheme = "https",
            Protocol = "HTTP/1.1",
            PathBase = "",
            Path = GraphPipeline.Prefix + path,
            QueryString = query.Value ?? "",
            RawTarget = GraphPipeline.Prefix + path + query.Value,
            Body = new MemoryStream(step.Body ?? []),
        };
        foreach (var (name, value) in step.Headers)
        {
            request.Headers[name] = value;
        }

        request.Headers.Host = outer.Request.Host.Value;
        request.Headers.Authorization = outer.Request.Headers.Authorization;
        if (step.Body is not null)
        {
            request.Headers.ContentLength = step.Body.Length;
        }

        using var responseBody = new MemoryStream();
        var features = new FeatureCollection();
        features.Set<IHttpRequestFeature>(request);
        features.Set<IHttpResponseFeature>(new HttpResponseFeature());
        features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(responseBody));
        features.Set<IHttpRequestLifetimeFeature>(new HttpRequestLifetimeFeature { RequestAborted = outer.RequestAborted });
        features.Set<IHttpRequestBodyDetectionFeature>(new BodyDetection(step.Body is not null)); // minimal APIs bind bodies only when set
        var inner = new DefaultHttpContext(features) { RequestServices = outer.RequestServices };

        await pipeline(inner);
        await inner.Response.Body.FlushAsync(outer.RequestAborted);

        var headers = new JsonObject();
        foreach (var (name, value) in inner.Response.Headers)
        {
            if (!DroppedHeaders.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                headers[name] = value.ToString();
            }
        }

        var result = new JsonObject { ["id"] = step.Id, ["status"] = inner.Response.StatusCode, ["headers"] = headers };
        if (responseBody.Length > 0)
        {
            var bytes = responseBody.ToArray();
            result["body"] = IsJson(inner.Response.ContentType) ? JsonNode.Parse(bytes) : Convert.ToBase64String(bytes);
        }

        return result;
    }

    private sealed class BodyDetection(bool canHaveBody) : IHttpRequestBodyDetectionFeature
    {
        public bool CanHaveBody => canHaveBody;
    }

    internal static bool IsJson(string? contentType) =>
        contentType is not null && contentType.Split(';')[0].Trim().EndsWith("json", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// A step URL is relative to <c>/v1.0</c>. The Graph SDK sends it unescaped (spaces and quotes in
    /// <c>$filter</c>), so the query is split by hand and re-escaped.
    /// </summary>
    private static (string Path, QueryString Query) SplitUrl(string url)
    {
        var at = url.IndexOf('?', StringComparison.Ordinal);
        var path = Uri.UnescapeDataString(at < 0 ? url : url[..at]);
        if (at < 0 || at == url.Length - 1)
        {
            return (path, QueryString.Empty);
        }

        var pairs = url[(at + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries).Select(part =>
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            return eq < 0
                ? new KeyValuePair<string, string?>(Uri.UnescapeDataString(part), "")
                : new KeyValuePair<string, string?>(Uri.UnescapeDataString(part[..eq]), Uri.UnescapeDataString(part[(eq + 1)..]));
        });
        return (path, QueryString.Create(pairs));
    }
}

/// <summary>One request of a batch, validated.</summary>
public sealed record BatchStep(string Id, string Method, string Url, IReadOnlyList<KeyValuePair<string, string>> Headers, byte[]? Body, IReadOnlyList<string> DependsOn)
{
    public static byte[] BodyBytes(JsonNode body, string? contentType) =>
        body is JsonValue value && value.TryGetValue<string>(out var text) && !BatchDispatcher.IsJson(contentType)
            ? Convert.FromBase64String(text)
            : Encoding.UTF8.GetBytes(body.ToJsonString());
}
