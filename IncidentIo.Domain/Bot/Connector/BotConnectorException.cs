using System.Net;

namespace IncidentIo.Domain.Bot.Connector;

/// <summary>A connector call that failed, with what the connector (or Entra ID, for its token) said.</summary>
public sealed class BotConnectorException : Exception
{
    public BotConnectorException(HttpStatusCode status, string? code, string message, string? correlationId, TimeSpan? retryAfter)
        : this($"Teams answered {(int)status} {code}: {message}", status, code, message, correlationId, retryAfter, null)
    {
    }

    /// <summary>Entra ID refused the connector token (wrong <c>Bot:ClientSecret</c>, unknown bot app, …).</summary>
    public BotConnectorException(HttpStatusCode status, string? code, string message, string? correlationId, TimeSpan? retryAfter, Exception tokenError)
        : this($"Entra ID refused the bot's connector token ({(int)status} {code}): {message}", status, code, message, correlationId, retryAfter, tokenError)
    {
    }

    private BotConnectorException(string text, HttpStatusCode status, string? code, string message, string? correlationId, TimeSpan? retryAfter, Exception? inner)
        : base(text, inner)
    {
        Status = status;
        Code = code;
        ConnectorMessage = message;
        CorrelationId = correlationId;
        RetryAfter = retryAfter;
    }

    /// <summary>The code of a call refused here, before anything was sent: the address is not on <see cref="ServiceUrlAllowlist"/>.</summary>
    public const string ServiceUrlNotAllowedCode = "ServiceUrlNotAllowed";

    /// <summary>
    /// Nothing was sent: the stored service URL's host is not an allowed Teams host. 421 (Misdirected
    /// Request): neither transient nor the 403 that means "our app is not installed".
    /// </summary>
    public static BotConnectorException ServiceUrlNotAllowed(Uri address, IReadOnlyList<string> allowed) =>
        new($"Not sent: {address.Scheme}://{address.Authority} is not an allowed Teams service URL host ({string.Join(", ", allowed)}; Bot:Connector:AllowedServiceUrlHosts).",
            HttpStatusCode.MisdirectedRequest, ServiceUrlNotAllowedCode,
            $"{address.Scheme}://{address.Authority} is not an allowed Teams service URL host.", null, null, null);

    public HttpStatusCode Status { get; }

    /// <summary>The connector's error code (<c>ForbiddenOperationException</c>, <c>BotNotInConversationRoster</c>, <c>Throttled</c>…).</summary>
    public string? Code { get; }

    public string ConnectorMessage { get; }

    /// <summary><c>X-Correlating-OperationId</c>, for Microsoft support.</summary>
    public string? CorrelationId { get; }

    public TimeSpan? RetryAfter { get; }

    /// <summary>Worth trying again later: throttled (429), precondition (412), or 502/503/504.</summary>
    public bool IsTransient => Status is HttpStatusCode.TooManyRequests or HttpStatusCode.PreconditionFailed
        or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;
}
