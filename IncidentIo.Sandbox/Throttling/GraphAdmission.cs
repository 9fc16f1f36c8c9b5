using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using IncidentIo.Sandbox.Faults;
using IncidentIo.Sandbox.Graph;
using IncidentIo.Sandbox.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace IncidentIo.Sandbox.Throttling;

/// <summary>
/// Runs after token validation for every Graph call, direct or inside <c>$batch</c> (the batch
/// envelope itself is exempt): injected latency, timeout, 429 storm and 5xx, then throttling.
/// </summary>
public static class GraphAdmission
{
    // Task.Delay's timer can fire a fraction of a millisecond early; added latency is a floor.
    private static async Task DelayAtLeastAsync(TimeSpan latency, CancellationToken cancellation)
    {
        var started = Stopwatch.GetTimestamp();
        for (var left = latency; left > TimeSpan.Zero; left = latency - Stopwatch.GetElapsedTime(started))
        {
            await Task.Delay(left + TimeSpan.FromMilliseconds(1), cancellation);
        }
    }

    /// <summary>True when the call may go on; otherwise the response has been written (or the client left).</summary>
    public static async Task<bool> AdmitAsync(HttpContext http, GraphCaller caller)
    {
        var path = http.Request.Path.Value![GraphPipeline.Prefix.Length..];
        if (path.Equals("/$batch", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var faults = http.RequestServices.GetRequiredService<FaultInjector>();
        var userId = caller.UserId ?? (faults.AnyUserSettings ? TargetUser(http, caller, path) : null);
        var (settings, errorStatus) = faults.Roll(caller.TenantId, userId);
        try
        {
            if (settings.LatencyMs > 0)
            {
                await DelayAtLeastAsync(TimeSpan.FromMilliseconds(settings.LatencyMs), http.RequestAborted);
            }

            if (settings.Timeout)
            {
                await Task.Delay(FaultInjector.HoldLimit, http.RequestAborted);
                await GraphErrors.Result(http, StatusCodes.Status504GatewayTimeout, "GatewayTimeout", "The request timed out.").ExecuteAsync(http);
                return false;
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        var now = faults.Now;
        if (settings.StormUntil is { } until && until > now)
        {
            await TooManyRequests(http, until - now);
            return false;
        }

        if (errorStatus is { } status)
        {
            await ServerError(http, status, settings.RetryAfterSeconds);
            return false;
        }

        var refused = http.RequestServices.GetRequiredService<Throttler>().Check(caller.TenantId, caller.ClientId, http.Request.Method, path);
        if (refused is { } r)
        {
            await TooManyRequests(http, r.RetryAfter);
            return false;
        }

        return true;
    }

    /// <summary>Graph's 429: <c>Retry-After</c> in whole seconds (at least 1) and the <c>TooManyRequests</c> envelope.</summary>
    public static Task TooManyRequests(HttpContext http, TimeSpan retryAfter)
    {
        http.Response.Headers.RetryAfter = Seconds(retryAfter);
        var body = GraphErrors.Envelope(http, "TooManyRequests", "Please retry again later.");
        var inner = (JsonObject)body["error"]!["innerError"]!;
        inner["code"] = "429";
        inner["message"] = "Please retry after";
        inner["status"] = "429";
        return Results.Json(body, statusCode: StatusCodes.Status429TooManyRequests).ExecuteAsync(http);
    }

    private static Task ServerError(HttpContext http, int status, int retryAfterSeconds)
    {
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            http.Response.Headers.RetryAfter = Math.Max(1, retryAfterSeconds).ToString(CultureInfo.InvariantCulture);
            return GraphErrors.Result(http, status, "serviceNotAvailable", "The service is temporarily unavailable. Please retry later.").ExecuteAsync(http);
        }

        return status == StatusCodes.Status504GatewayTimeout
            ? GraphErrors.Result(http, status, "GatewayTimeout", "The request timed out.").ExecuteAsync(http)
            : GraphErrors.Result(http, status, "UnknownError", "").ExecuteAsync(http);
    }

    private static string Seconds(TimeSpan wait) =>
        Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>The user a call is about (<c>/users/{id|upn}/…</c>), for per-user fault settings.</summary>
    private static Guid? TargetUser(HttpContext http, GraphCaller caller, string path)
    {
        var segments = path.Split('/', 3, StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length < 2 || !segments[0].Equals("users", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return http.RequestServices.GetRequiredService<SandboxRuntime>().State.FindUser(caller.TenantId, Uri.UnescapeDataString(segments[1]))?.Id;
    }
}
