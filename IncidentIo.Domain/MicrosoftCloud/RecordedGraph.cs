using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Graph;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware;

namespace IncidentIo.Domain.MicrosoftCloud;

/// <summary>
/// Graph for work that paces and retries itself (the automatic install, per-user installs): the
/// Graph SDK's own retry handler is left out, so each attempt is counted, shown and audited, and
/// every call is recorded (what, when, status, request id).
/// </summary>
public sealed class RecordedGraph : IDisposable
{
    private readonly HttpClient http;
    private readonly ConcurrentQueue<GraphCall> calls = new();

    public RecordedGraph(IServiceProvider services, Func<CancellationToken, Task<string>> token, TimeSpan callTimeout, TimeProvider clock)
    {
        var handlers = GraphClientFactory.CreateDefaultHandlers().Where(h => h is not RetryHandler).ToList();
        handlers.Add(new RecordingHandler(calls, clock));
        http = GraphClientFactory.Create(handlers, finalHandler: MicrosoftHttp.CreateHandler(services));
        http.Timeout = callTimeout;
        Client = new GraphServiceClient(http, GraphTokenProvider.Authentication(token, services));
    }

    public GraphServiceClient Client { get; }

    /// <summary>The calls made since the last drain, oldest first.</summary>
    public IReadOnlyList<GraphCall> DrainCalls()
    {
        var drained = new List<GraphCall>();
        while (calls.TryDequeue(out var call))
        {
            drained.Add(call);
        }

        return drained;
    }

    public void Dispose() => http.Dispose();

    private sealed class RecordingHandler(ConcurrentQueue<GraphCall> calls, TimeProvider clock) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var at = clock.GetUtcNow();
            var started = Stopwatch.GetTimestamp();
            var what = $"{request.Method} {request.RequestUri?.PathAndQuery}";
            try
            {
                var response = await base.SendAsync(request, cancellationToken);
                var requestId = response.Headers.TryGetValues("request-id", out var ids) ? ids.FirstOrDefault() : null;
                calls.Enqueue(new GraphCall(at, what, (int)response.StatusCode, requestId, Stopwatch.GetElapsedTime(started), null));
                return response;
            }
            catch (Exception error) when (error is HttpRequestException or OperationCanceledException)
            {
                calls.Enqueue(new GraphCall(at, what, null, null, Stopwatch.GetElapsedTime(started), error.GetType().Name));
                throw;
            }
        }
    }
}

/// <summary>One Graph call: status null when no answer came (time-out, connection failure).</summary>
public sealed record GraphCall(DateTimeOffset At, string What, int? Status, string? RequestId, TimeSpan Took, string? Failure)
{
    public override string ToString() =>
        $"{What} → {(Status is { } status ? status.ToString(System.Globalization.CultureInfo.InvariantCulture) : Failure)}" +
        $" ({Took.TotalMilliseconds:F0} ms{(RequestId is null ? "" : $", request-id {RequestId}")})";
}
