using System.Collections.Concurrent;

namespace IncidentIo.Sandbox.Graph;

/// <summary>
/// Every authenticated Graph request the Sandbox received over HTTP, in order:
/// lets a test show that some piece of the product made no Graph call, or how many it made.
/// </summary>
public sealed class GraphRequestLog
{
    private readonly ConcurrentQueue<GraphRequest> requests = new();

    public void Add(GraphRequest request) => requests.Enqueue(request);

    public IReadOnlyList<GraphRequest> All() => [.. requests];

    /// <summary>Requests for <paramref name="tenantId"/> whose path contains <paramref name="pathPart"/> (case-insensitive).</summary>
    public int Count(Guid tenantId, string pathPart) =>
        requests.Count(r => r.TenantId == tenantId && r.Path.Contains(pathPart, StringComparison.OrdinalIgnoreCase));
}

public sealed record GraphRequest(Guid TenantId, string ClientId, string Method, string Path);
