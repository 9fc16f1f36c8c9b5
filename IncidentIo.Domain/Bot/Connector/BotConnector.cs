using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.TeamsApp;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Client;

namespace IncidentIo.Domain.Bot.Connector;

/// <summary>
/// Our bot speaking to Teams through the Bot Framework connector (<c>serviceUrl</c> from the
/// activities Teams sends us): connector tokens by client credentials, 1:1 conversations, and
/// sends paced per conversation within Microsoft's published per-thread limits.
/// </summary>
public sealed class BotConnector
{
    private const string CorrelationHeader = "X-Correlating-OperationId";

    /// <summary>The per-tenant window of calls whose tenant we were not told: shared, so on the safe side.</summary>
    private const string UnknownTenant = "unknown";

    private readonly IHttpClientFactory httpClients;
    private readonly BotConnectorOptions options;
    private readonly TimeProvider clock;
    private readonly ILogger<BotConnector> logger;
    private readonly ConnectorPacer pacer;
    private readonly string botId;
    private readonly string scope;
    private readonly TimeSpan maxRetryAfter;
    private readonly Lazy<IConfidentialClientApplication> tokens;
    private readonly ServiceUrlAllowlist allowlist;

    public BotConnector(
        IHttpClientFactory httpClients, IMsalHttpClientFactory msalHttpClients, IOptions<BotOptions> bot, IOptions<BotConnectorOptions> connector,
        IOptions<TeamsAppOptions> teamsApp, ServiceUrlAllowlist allowlist, IOptions<MicrosoftOptions> microsoft, TimeProvider clock, ILogger<BotConnector> logger)
    {
        maxRetryAfter = microsoft.Value.MaxRetryAfter;
        this.httpClients = httpClients;
        this.allowlist = allowlist;
        options = connector.Value;
        this.clock = clock;
        this.logger = logger;
        pacer = new ConnectorPacer(options, clock);
        botId = teamsApp.Value.BotId;
        scope = bot.Value.ConnectorScope;
        // One client for every tenant: a multi-tenant bot's connector tokens all come from the
        // botframework.com authority. MSAL keeps the token in memory until shortly before it expires.
        tokens = new Lazy<IConfidentialClientApplication>(() => ConfidentialClientApplicationBuilder.Create(botId)
            .WithClientSecret(bot.Value.ClientSecret)
            .WithAuthority(bot.Value.TokenAuthority)
            .WithHttpClientFactory(msalHttpClients)
            .Build());
    }

    /// <summary>
    /// The 1:1 conversation between our bot and a user (Teams answers the same id every time).
    /// Fails with <see cref="BotConnectorException"/> (403 <c>ForbiddenOperationException</c>)
    /// when our app is not installed for the user.
    /// </summary>
    public async Task<string> CreatePersonalConversationAsync(Uri serviceUrl, Guid tenantId, Guid userObjectId, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject
        {
            ["bot"] = new JsonObject { ["id"] = $"28:{botId}" },
            ["members"] = new JsonArray(new JsonObject { ["id"] = userObjectId.ToString() }),
            ["channelData"] = new JsonObject { ["tenant"] = new JsonObject { ["id"] = tenantId.ToString() } },
            ["isGroup"] = false,
        };
        // Teams answers the same conversation every time, so trying again after a 5xx is safe.
        var answer = await CallAsync(HttpMethod.Post, Address(serviceUrl, "v3/conversations"), body, null, tenantId.ToString(), cancellationToken);
        var conversationId = RequiredText(answer, "id");
        pacer.Record(conversationId);
        return conversationId;
    }

    /// <summary>
    /// Posts <paramref name="activity"/> to a channel thread or a chat; returns the new activity's id.
    /// Sends to one conversation go out in the order of the calls, one at a time, within Teams'
    /// per-thread limits (<c>Bot:Connector:*</c>); throttling and 412/502/503/504 are retried.
    /// The tenant's limit is kept per <c>channelData.tenant.id</c> (or <c>conversation.tenantId</c>)
    /// when the activity names it, otherwise in one window shared by all such sends.
    /// </summary>
    public async Task<string> SendAsync(Uri serviceUrl, string conversationId, JsonObject activity, CancellationToken cancellationToken = default)
    {
        // Joined before anything is awaited: the queue's order is the order of the calls.
        using var turn = pacer.Enqueue(conversationId);
        await turn.WaitAsync(cancellationToken);
        var tenant = Text(activity["channelData"]?["tenant"]?["id"]) ?? Text(activity["conversation"]?["tenantId"]) ?? UnknownTenant;
        // A 502/504 may hide a message that was posted: Microsoft asks for retries all the same,
        // and a rare duplicate beats a lost incident update.
        var answer = await CallAsync(
            HttpMethod.Post, Address(serviceUrl, $"v3/conversations/{Uri.EscapeDataString(conversationId)}/activities"), activity, turn.Lane, tenant, cancellationToken);
        return RequiredText(answer, "id");
    }

    /// <summary>The team's name and Microsoft 365 group; <paramref name="teamThreadId"/> is its General channel's thread id.</summary>
    /// <remarks>
    /// Team reads are rare and their per-thread limits twice the sends': they keep only to the
    /// shared tenant window, and a 429 is waited out like any other.
    /// </remarks>
    public async Task<BotTeamDetails> GetTeamDetailsAsync(Uri serviceUrl, string teamThreadId, CancellationToken cancellationToken = default)
    {
        var answer = await CallAsync(HttpMethod.Get, Address(serviceUrl, $"v3/teams/{Uri.EscapeDataString(teamThreadId)}"), null, null, UnknownTenant, cancellationToken);
        return new BotTeamDetails(
            Text(answer["id"]) ?? teamThreadId, Text(answer["name"]) ?? "", Guid.TryParse(Text(answer["aadGroupId"]), out var group) ? group : null);
    }

    /// <summary>The team's channels (thread id and name).</summary>
    public async Task<IReadOnlyList<BotChannel>> GetTeamChannelsAsync(Uri serviceUrl, string teamThreadId, CancellationToken cancellationToken = default)
    {
        var answer = await CallAsync(
            HttpMethod.Get, Address(serviceUrl, $"v3/teams/{Uri.EscapeDataString(teamThreadId)}/conversations"), null, null, UnknownTenant, cancellationToken);
        return answer["conversations"] is JsonArray conversations
            ? [.. conversations.OfType<JsonObject>().Where(c => Text(c["id"]) is not null).Select(c => new BotChannel(Text(c["id"])!, Text(c["name"])))]
            : [];
    }

    /// <summary><paramref name="serviceUrl"/> joined with a <c>v3/…</c> path: it usually ends with '/', and a doubled one is a different path.</summary>
    private static Uri Address(Uri serviceUrl, string path) => new(serviceUrl.AbsoluteUri.TrimEnd('/') + "/" + path);

    /// <summary>
    /// One connector call within the thread's (when given) and the tenant's limits; 429, 412 and
    /// 502/503/504 are tried again (after <c>Retry-After</c>, or a growing backoff) up to
    /// <c>Bot:Connector:MaxRetries</c> times, then thrown as transient. Other errors are thrown at once.
    /// </summary>
    private async Task<JsonObject> CallAsync(
        HttpMethod method, Uri address, JsonObject? body, ConnectorPacer.Lane? lane, string tenant, CancellationToken cancellationToken)
    {
        if (!allowlist.Allows(address))
        {
            // Before the token is asked for: our bot's token must never travel to another host.
            logger.LogError("Connector call to {Host} refused: not an allowed Teams service URL host ({Allowed})", address.Authority, string.Join(", ", allowlist.Hosts));
            throw BotConnectorException.ServiceUrlNotAllowed(address, allowlist.Hosts);
        }

        for (var attempt = 1; ; attempt++)
        {
            var token = await AcquireTokenAsync(cancellationToken);
            var slot = await pacer.TakeAsync(lane, tenant, cancellationToken);
            try
            {
                return await CallOnceAsync(method, address, body, token, cancellationToken);
            }
            // A Retry-After longer than a retry delay is not slept here, inside a caller's lease or
            // a conversation's queue: it is thrown, and the caller's job is rescheduled for then.
            catch (BotConnectorException error) when (error.IsTransient && attempt <= options.MaxRetries && !(error.RetryAfter > options.MaxRetryDelay))
            {
                var wait = error.RetryAfter ?? RetryBackoff.WithJitter(attempt, options.FirstRetryDelay, options.MaxRetryDelay);
                logger.LogWarning(
                    "Teams answered {Status} {Code} to {Method} {Address} (correlation {CorrelationId}); try {Attempt} of {Attempts} in {Wait}",
                    (int)error.Status, error.Code, method, address.AbsolutePath, error.CorrelationId, attempt + 1, options.MaxRetries + 1, wait);
                pacer.Complete(slot); // answered now, not after the wait (completing twice is harmless)
                await Task.Delay(wait, clock, cancellationToken);
            }
            finally
            {
                pacer.Complete(slot);
            }
        }
    }

    private async Task<JsonObject> CallOnceAsync(HttpMethod method, Uri address, JsonObject? body, string token, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, address);
        request.Headers.Authorization = new("Bearer", token);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var response = await httpClients.CreateClient(MicrosoftHttp.ClientName).SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw Failure(response, text);
        }

        return Parse(text) as JsonObject ?? new JsonObject();
    }

    private async Task<string> AcquireTokenAsync(CancellationToken cancellationToken)
    {
        try
        {
            var result = await tokens.Value.AcquireTokenForClient([scope]).ExecuteAsync(cancellationToken);
            return result.AccessToken;
        }
        catch (MsalServiceException error)
        {
            throw new BotConnectorException(
                (HttpStatusCode)error.StatusCode, error.ErrorCode,
                $"{error.Message} (check TeamsApp:BotId, Bot:ClientSecret and Bot:TokenAuthority)",
                error.CorrelationId, RetryAfterHeader.Capped(RetryAfterHeader.From(error.Headers), maxRetryAfter), error);
        }
    }

    /// <summary>
    /// The connector's error: <c>{"error":{"code","message"}}</c>, Teams' <c>{"errorCode":209,"message":"{\"subCode\":…}"}</c>
    /// (the code is the sub-code), or a bare <c>{"message"}</c> (401 without a token).
    /// </summary>
    private BotConnectorException Failure(HttpResponseMessage response, string text)
    {
        var json = Parse(text);
        string? code = null;
        string? message = null;
        if (json?["error"] is JsonObject error)
        {
            code = Text(error["code"]);
            message = Text(error["message"]);
        }
        else if (json is JsonObject answer)
        {
            message = Text(answer["message"]);
            if (answer["errorCode"] is JsonValue errorCode)
            {
                code = errorCode.ToJsonString().Trim('"');
                if (message is not null && Parse(message) is JsonObject inner)
                {
                    code = Text(inner["subCode"]) ?? code;
                    message = Text(inner["message"]) ?? message;
                }
            }
        }

        message ??= text.Length > 0 ? ClippedText.Clip(text, 500) : response.ReasonPhrase ?? response.StatusCode.ToString();
        var correlationId = response.Headers.TryGetValues(CorrelationHeader, out var values) ? values.FirstOrDefault() : null;
        return new BotConnectorException(response.StatusCode, code, message, correlationId, RetryAfterHeader.Capped(RetryAfterHeader.From(response.Headers), maxRetryAfter));
    }

    private static JsonNode? Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    private static string RequiredText(JsonObject answer, string name) =>
        Text(answer[name]) ?? throw new InvalidOperationException($"The connector's answer has no '{name}': {ClippedText.Clip(answer.ToJsonString(), 300)}");
}
