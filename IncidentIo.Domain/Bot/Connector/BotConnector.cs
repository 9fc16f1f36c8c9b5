using System.Net;
using System.Text.Json.Nodes;

namespace IncidentIo.Domain.Bot.Connector;

/// <summary>
/// Our bot speaking to Teams through the Bot Framework connector (<c>serviceUrl</c> from the
/// activities Teams sends us): connector tokens by client credentials, 1:1 conversations, and
/// sends paced per conversation within Microsoft's published per-thread limits.
/// </summary>
public sealed class BotConnector
{
    /// <summary>
    /// The 1:1 conversation between our bot and a user (Teams answers the same id every time).
    /// Fails with <see cref="BotConnectorException"/> (403 <c>ForbiddenOperationException</c>)
    /// when our app is not installed for the user.
    /// </summary>
    public Task<string> CreatePersonalConversationAsync(Uri serviceUrl, Guid tenantId, Guid userObjectId, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("Bot connector: create conversation.");

    /// <summary>Posts <paramref name="activity"/> to a channel thread or a chat; returns the new activity's id.</summary>
    public Task<string> SendAsync(Uri serviceUrl, string conversationId, JsonObject activity, CancellationToken cancellationToken = default) =>
        throw new NotImplementedException("Bot connector: send.");
}

/// <summary>A connector call that failed, with what the connector said.</summary>
public sealed class BotConnectorException(HttpStatusCode status, string? code, string message, string? correlationId, TimeSpan? retryAfter)
    : Exception($"Teams answered {(int)status} {code}: {message}")
{
    public HttpStatusCode Status { get; } = status;

    /// <summary>The connector's error code (<c>ForbiddenOperationException</c>, <c>BotNotInConversationRoster</c>, <c>Throttled</c>…).</summary>
    public string? Code { get; } = code;

    public string ConnectorMessage { get; } = message;

    /// <summary><c>X-Correlating-OperationId</c>, for Microsoft support.</summary>
    public string? CorrelationId { get; } = correlationId;

    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>Worth trying again later: throttled (429), precondition (412), or 502/503/504.</summary>
    public bool IsTransient => Status is HttpStatusCode.TooManyRequests or HttpStatusCode.PreconditionFailed
        or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;
}
