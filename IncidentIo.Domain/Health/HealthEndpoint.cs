using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Health;

/// <summary><c>Health:*</c>: who may read the checks' details, and how often anonymous callers may ask.</summary>
public sealed class HealthOptions
{
    public const string Section = "Health";

    /// <summary>
    /// A shared secret an orchestrator or monitoring system sends in <see cref="HealthEndpoint.KeyHeader"/>
    /// to read the details (database host, errors, queue depth). None unless set: then only operators see them.
    /// </summary>
    public string? DetailsKey { get; set; }

    /// <summary>Requests per minute each client address may make to anonymous endpoints (health, sign-in start).</summary>
    public int AnonymousRequestsPerMinute { get; set; } = 120;
}

/// <summary>
/// <c>/healthz</c> for load balancers and operators. Anyone gets the overall status (all a load
/// balancer needs); the details name the database host, carry exception text and count queued
/// jobs, so they go only to callers the host trusts or who send the configured key.
/// </summary>
public static class HealthEndpoint
{
    public const string Path = "/healthz";
    public const string KeyHeader = "X-Health-Key";

    /// <summary>The rate-limiting policy for what anonymous callers can trigger.</summary>
    public const string AnonymousPolicy = "anonymous";

    public static IServiceCollection AddHealthEndpoint(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<HealthOptions>().Bind(configuration.GetSection(HealthOptions.Section))
            .Validate(o => o.AnonymousRequestsPerMinute > 0, "Health:AnonymousRequestsPerMinute must be a positive number.")
            .Validate(o => o.DetailsKey is null || o.DetailsKey.Length >= 16, "Health:DetailsKey must be at least 16 characters when set.")
            .ValidateOnStart();
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(AnonymousPolicy, http =>
            {
                var perMinute = http.RequestServices.GetRequiredService<IOptions<HealthOptions>>().Value.AnonymousRequestsPerMinute;
                return RateLimitPartition.GetFixedWindowLimiter(
                    http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });
            });
        });
        return services;
    }

    /// <summary>Maps <c>/healthz</c>; <paramref name="isOperator"/> says who sees the details without the key.</summary>
    public static IEndpointConventionBuilder MapHealthEndpoint(this IEndpointRouteBuilder endpoints, Func<HttpContext, bool> isOperator) =>
        endpoints.MapHealthChecks(Path, new HealthCheckOptions
        {
            ResponseWriter = (http, report) => HealthResponse.WriteAsync(http, report, details: isOperator(http) || HasKey(http)),
        }).RequireRateLimiting(AnonymousPolicy);

    private static bool HasKey(HttpContext http)
    {
        var expected = http.RequestServices.GetRequiredService<IOptions<HealthOptions>>().Value.DetailsKey;
        if (expected is null || !http.Request.Headers.TryGetValue(KeyHeader, out var sent) || sent.Count != 1 || sent[0] is not { } given)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected));
    }
}
