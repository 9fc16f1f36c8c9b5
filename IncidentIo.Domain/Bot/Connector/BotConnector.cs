using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.TeamsApp;
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

    private readonly IHttpClientFactory httpClients;
    private readonly string botId;
    private readonly string scope;
    private readonly Lazy<IConfidentialClientApplication> tokens;

    public BotConnector(IHttpClientFactory httpClients, IMsalHttpClientFactory msalHttpClients, IOptions<BotOptions> bot, IOptions<TeamsAppOptions> teamsApp)
    {
        this.httpClients = httpClients;
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
        var answer = await CallAsync(HttpMethod.Post, Address(serviceUrl, "v3/conversations"), body, cancellationToken);
        return RequiredText(answer, "id");
    }

    /// <summary>Posts <paramref name="activity"/> to a channel thread or a chat; returns the new activity's id.</summary>
    public async Task<string> SendAsync(Uri serviceUrl, string conversationId, JsonObject activity, CancellationToken cancellationToken = default)
    {
        var answer = await CallAsync(HttpMethod.Post, Address(serviceUrl, $"v3/conversations/{Uri.EscapeDataString(conversationId)}/activities"), activity, cancellationToken);
        return RequiredText(answer, "id");
    }

    /// <summary><paramref name="serviceUrl"/> joined with a <c>v3/…</c> path: it usually ends with '/', and a doubled one is a different path.</summary>
    private static Uri Address(Uri serviceUrl, string path) => new(serviceUrl.AbsoluteUri.TrimEnd('/') + "/" + path);

    private async Task<JsonObject> CallAsync(HttpMethod method, Uri address, JsonObject? body, CancellationToken cancellationToken)
    {
        var token = await AcquireTokenAsync(cancellationToken);
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
                error.CorrelationId, RetryAfterHeader.From(error.Headers), error);
        }
    }

    /// <summary>
    /// The connector's error: <c>{"error":{"code","message"}}</c>, Teams' <c>{"errorCode":209,"message":"{\"subCode\":…}"}</c>
    /// (the code is the sub-code), or a bare <c>{"message"}</c> (401 without a token).
    /// </summary>
    private static BotConnectorException Failure(HttpResponseMessage response, string text)
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
        return new BotConnectorException(response.StatusCode, code, message, correlationId, RetryAfterHeader.From(response.Headers));
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
