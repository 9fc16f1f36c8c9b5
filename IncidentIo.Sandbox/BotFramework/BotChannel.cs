using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using IncidentIo.Sandbox.Entra;
using IncidentIo.Sandbox.Hosting;

namespace IncidentIo.Sandbox.BotFramework;

/// <summary>
/// The Teams channel side: builds the activities Teams sends a bot (installs, membership changes,
/// renames), signs each request with a channel key (<c>iss</c> <c>https://api.botframework.com</c>,
/// <c>aud</c> the bot's app id, <c>serviceurl</c> the connector) and posts it to the bot's messaging
/// endpoint, retrying 5xx and unreachable endpoints a few times. Every delivery is recorded.
/// The channel only reports changes: callers change Teams state (the directory) first.
/// </summary>
public sealed class BotChannel
{
    private readonly BotFrameworkSandbox _bot;
    private readonly SandboxRuntime _runtime;
    private readonly BotFrameworkOptions _options;
    private readonly Lock _gate = new();
    private readonly List<DeliveryRecord> _deliveries = [];

    internal BotChannel(BotFrameworkSandbox bot, SandboxRuntime runtime, BotFrameworkOptions options)
    {
        _bot = bot;
        _runtime = runtime;
        _options = options;
        Endpoint = options.BotEndpoint;
        HttpClient = options.BotHttpClient;
    }

    /// <summary>The messaging endpoint for bots registered without one.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>The client activities are posted with; it must trust the bot's certificate.</summary>
    public HttpClient? HttpClient { get; set; }

    public IReadOnlyList<DeliveryRecord> Deliveries()
    {
        lock (_gate)
        {
            return [.. _deliveries];
        }
    }

    /// <summary>The bearer token the channel sends; tests may ask for a different audience or service URL.</summary>
    public string CreateToken(string audience, string? serviceUrl = null, SigningKey? key = null)
    {
        var now = _runtime.Now.ToUnixTimeSeconds();
        var payload = new JsonObject
        {
            ["serviceurl"] = serviceUrl ?? _bot.ServiceUrl,
            ["nbf"] = now,
            ["exp"] = now + (long)_options.ChannelTokenLifetime.TotalSeconds,
            ["iss"] = BotFrameworkSandbox.ApiResource,
            ["aud"] = audience,
        };
        return Jwt.Sign(payload, key ?? _bot.ChannelKeys.Current);
    }

    /// <summary>The app was added to a team: installationUpdate add, then the bot joining the roster.</summary>
    public async Task<IReadOnlyList<DeliveryRecord>> TeamInstalledAsync(string botAppId, string teamId, Guid installedBy, CancellationToken cancellationToken = default)
    {
        var team = Team(teamId);
        var install = TeamActivity("installationUpdate", botAppId, team, installedBy);
        install["action"] = "add";
        var joined = TeamActivity("conversationUpdate", botAppId, team, installedBy, "teamMemberAdded");
        joined["membersAdded"] = new JsonArray(BotAccount(botAppId, withName: false));
        return [await SendAsync(botAppId, install, cancellationToken), await SendAsync(botAppId, joined, cancellationToken)];
    }

    /// <summary>The app was removed from a team: installationUpdate remove, then the bot leaving the roster.</summary>
    public async Task<IReadOnlyList<DeliveryRecord>> TeamUninstalledAsync(string botAppId, string teamId, Guid removedBy, CancellationToken cancellationToken = default)
    {
        var team = Team(teamId);
        var uninstall = TeamActivity("installationUpdate", botAppId, team, removedBy);
        uninstall["action"] = "remove";
        var left = TeamActivity("conversationUpdate", botAppId, team, removedBy, "teamMemberRemoved");
        left["membersRemoved"] = new JsonArray(BotAccount(botAppId, withName: false));
        return [await SendAsync(botAppId, uninstall, cancellationToken), await SendAsync(botAppId, left, cancellationToken)];
    }

    /// <summary>People joined a team the bot is in (conversationUpdate, teamMemberAdded).</summary>
    public async Task<DeliveryRecord> MembersAddedAsync(string botAppId, string teamId, IEnumerable<Guid> userIds, CancellationToken cancellationToken = default)
    {
        var team = Team(teamId);
        var ids = userIds.ToList();
        var activity = TeamActivity("conversationUpdate", botAppId, team, ids.FirstOrDefault(), "teamMemberAdded");
        activity["membersAdded"] = new JsonArray([.. ids.Select(id => UserAccount(team.TenantId, id, withName: false))]);
        return await SendAsync(botAppId, activity, cancellationToken);
    }

    /// <summary>People left a team the bot is in (conversationUpdate, teamMemberRemoved).</summary>
    public async Task<DeliveryRecord> MembersRemovedAsync(string botAppId, string teamId, IEnumerable<Guid> userIds, CancellationToken cancellationToken = default)
    {
        var team = Team(teamId);
        var ids = userIds.ToList();
        var activity = TeamActivity("conversationUpdate", botAppId, team, ids.FirstOrDefault(), "teamMemberRemoved");
        activity["membersRemoved"] = new JsonArray([.. ids.Select(id => UserAccount(team.TenantId, id, withName: false))]);
        return await SendAsync(botAppId, activity, cancellationToken);
    }

    /// <summary>A team the bot is in was renamed; the name is the directory's current one.</summary>
    public async Task<DeliveryRecord> TeamRenamedAsync(string botAppId, string teamId, Guid renamedBy, CancellationToken cancellationToken = default)
    {
        var team = Team(teamId);
        var activity = TeamActivity("conversationUpdate", botAppId, team, renamedBy, "teamRenamed");
        activity["channelData"]!["team"]!["name"] = team.Name;
        return await SendAsync(botAppId, activity, cancellationToken);
    }

    /// <summary>
    /// A user installed the app for themselves: installationUpdate add in their one-to-one
    /// conversation (the id the connector returns for them), then conversationUpdate with both.
    /// </summary>
    public async Task<IReadOnlyList<DeliveryRecord>> UserInstalledAsync(string botAppId, Guid tenantId, Guid userId, CancellationToken cancellationToken = default)
    {
        var install = PersonalActivity("installationUpdate", botAppId, tenantId, userId);
        install["action"] = "add";
        var joined = PersonalActivity("conversationUpdate", botAppId, tenantId, userId);
        joined["membersAdded"] = new JsonArray(BotAccount(botAppId, withName: false), UserAccount(tenantId, userId, withName: false));
        return [await SendAsync(botAppId, install, cancellationToken), await SendAsync(botAppId, joined, cancellationToken)];
    }

    /// <summary>A user removed the app from their personal scope: installationUpdate remove.</summary>
    public async Task<DeliveryRecord> UserUninstalledAsync(string botAppId, Guid tenantId, Guid userId, CancellationToken cancellationToken = default)
    {
        var uninstall = PersonalActivity("installationUpdate", botAppId, tenantId, userId);
        uninstall["action"] = "remove";
        return await SendAsync(botAppId, uninstall, cancellationToken);
    }

    /// <summary>A user wrote to the bot in their one-to-one chat (a <c>message</c> activity, plain text).</summary>
    public Task<DeliveryRecord> UserMessageAsync(string botAppId, Guid tenantId, Guid userId, string text, CancellationToken cancellationToken = default)
    {
        var message = PersonalActivity("message", botAppId, tenantId, userId);
        message["text"] = text;
        message["textFormat"] = "plain";
        message["locale"] = "en-US";
        return SendAsync(botAppId, message, cancellationToken);
    }

    /// <summary>
    /// A person posts in a channel, @mentioning the bot: a <c>message</c> activity in a new thread
    /// (<c>{channel};messageid={id}</c>) whose text starts with <c>&lt;at&gt;{bot name}&lt;/at&gt;</c>, with
    /// the matching <c>mention</c> entity. Without resource-specific consent Teams sends a bot only the
    /// channel messages that @mention it:
    /// https://learn.microsoft.com/microsoftteams/platform/bots/how-to/conversations/channel-and-group-conversations
    /// </summary>
    public Task<DeliveryRecord> ChannelMentionAsync(string botAppId, string channelThreadId, Guid userId, string text, CancellationToken cancellationToken = default)
    {
        var team = Team(channelThreadId);
        var botName = _bot.FindBot(botAppId)?.Name ?? botAppId;
        var mention = $"<at>{botName}</at>";
        var messageId = _bot.NewMessageId();
        var message = TeamActivity("message", botAppId, team, userId);
        message["id"] = messageId;
        message["from"] = UserAccount(team.TenantId, userId, withName: true);
        message["conversation"]!["id"] = $"{channelThreadId};messageid={messageId}";
        ChannelOf(message, channelThreadId);
        message["text"] = $"{mention} {text}";
        message["textFormat"] = "plain";
        message["locale"] = "en-US";
        message["entities"] = new JsonArray(new JsonObject
        {
            ["type"] = "mention", ["text"] = mention, ["mentioned"] = new JsonObject { ["id"] = ConnectorIds.BotId(botAppId), ["name"] = botName },
        });
        return SendAsync(botAppId, message, cancellationToken);
    }

    /// <summary>
    /// A person pressed a card's <c>Action.Execute</c>: an <c>invoke</c> named <c>adaptiveCard/action</c>
    /// in the card's conversation, <c>replyToId</c> the card's activity, <c>value.action</c> the action
    /// with the card's inputs merged into its <c>data</c>. The bot answers in the HTTP response
    /// (<see cref="DeliveryRecord.ResponseBody"/>).
    /// https://learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/universal-actions-for-adaptive-cards/work-with-universal-actions-for-adaptive-cards
    /// </summary>
    public Task<DeliveryRecord> CardActionAsync(SentActivity card, Guid userId, JsonObject action, JsonObject data, CancellationToken cancellationToken = default)
    {
        JsonObject invoke;
        if (card.TeamId is { } teamId)
        {
            var team = Team(teamId);
            invoke = TeamActivity("invoke", card.BotAppId, team, userId);
            invoke["conversation"]!["id"] = card.ConversationId;
            ChannelOf(invoke, ConnectorIds.Thread(card.ConversationId));
        }
        else
        {
            invoke = PersonalActivity("invoke", card.BotAppId, card.TenantId ?? Guid.Empty, userId);
        }

        invoke["from"] = UserAccount(card.TenantId ?? Guid.Empty, userId, withName: true);
        invoke["name"] = "adaptiveCard/action";
        invoke["replyToId"] = card.Id;
        invoke["locale"] = "en-US";
        var executed = new JsonObject { ["type"] = "Action.Execute", ["verb"] = action["verb"]?.DeepClone(), ["data"] = data.DeepClone() };
        if (action["id"] is { } id)
        {
            executed["id"] = id.DeepClone();
        }

        invoke["value"] = new JsonObject { ["action"] = executed, ["trigger"] = "manual" };
        return SendAsync(card.BotAppId, invoke, cancellationToken);
    }

    /// <summary>Signs and posts any activity to the bot, retrying 5xx and network failures.</summary>
    public async Task<DeliveryRecord> SendAsync(string botAppId, JsonObject activity, CancellationToken cancellationToken = default)
    {
        var registration = _bot.FindBot(botAppId) ?? throw new InvalidOperationException($"No bot is registered with app id {botAppId}.");
        var endpoint = registration.Endpoint ?? Endpoint ?? throw new InvalidOperationException("No bot endpoint is configured (BotFrameworkOptions.BotEndpoint).");
        var client = HttpClient ?? throw new InvalidOperationException("No HttpClient for the bot is configured (BotFrameworkOptions.BotHttpClient).");
        var statuses = new List<int>();
        string? error = null;
        string? body = null;
        var delay = _options.DeliveryRetryDelay;
        for (var attempt = 1; attempt <= Math.Max(1, _options.DeliveryAttempts); attempt++)
        {
            if (attempt > 1)
            {
                await Task.Delay(delay, cancellationToken);
                delay *= 2;
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = JsonContent(activity) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", CreateToken(botAppId));
            try
            {
                using var response = await client.SendAsync(request, cancellationToken);
                statuses.Add((int)response.StatusCode);
                body = await response.Content.ReadAsStringAsync(cancellationToken);
                error = response.IsSuccessStatusCode ? null : body;
                if ((int)response.StatusCode < 500)
                {
                    break;
                }
            }
            catch (HttpRequestException e)
            {
                statuses.Add(0);
                error = e.Message;
            }
        }

        var record = new DeliveryRecord(
            activity["id"]?.GetValue<string>() ?? "", activity["type"]?.GetValue<string>() ?? "", botAppId, endpoint, _runtime.Now,
            statuses, statuses[^1] is >= 200 and < 300, error, (JsonObject)activity.DeepClone(), body);
        lock (_gate)
        {
            _deliveries.Add(record);
        }

        return record;
    }

    private BotTeam Team(string teamId) =>
        _bot.Directory.FindTeamByThread(teamId) ?? throw new InvalidOperationException($"No team has thread {teamId}.");

    private JsonObject TeamActivity(string type, string botAppId, BotTeam team, Guid actor, string? eventType = null)
    {
        var channelData = new JsonObject { ["team"] = TeamJson(team), ["tenant"] = new JsonObject { ["id"] = team.TenantId.ToString() } };
        if (eventType is not null)
        {
            channelData["eventType"] = eventType;
        }
        else
        {
            channelData["settings"] = new JsonObject { ["selectedChannel"] = new JsonObject { ["id"] = team.Id } };
            channelData["channel"] = new JsonObject { ["id"] = team.Id };
            channelData["source"] = new JsonObject { ["name"] = "message" };
        }

        var conversation = new JsonObject
        {
            ["isGroup"] = true,
            ["conversationType"] = "channel",
            ["tenantId"] = team.TenantId.ToString(),
            ["id"] = team.Id,
        };
        return Activity(type, botAppId, UserAccount(team.TenantId, actor, withName: false), conversation, channelData);
    }

    /// <summary>Names the channel a message or invoke is in (the team's General channel is the team id).</summary>
    private static void ChannelOf(JsonObject activity, string channelThreadId)
    {
        var channelData = activity["channelData"]!.AsObject();
        channelData.Remove("settings");
        channelData.Remove("source");
        channelData["channel"] = new JsonObject { ["id"] = channelThreadId };
        channelData["teamsChannelId"] = channelThreadId;
        channelData["teamsTeamId"] = channelData["team"]?["id"]?.DeepClone();
    }

    private JsonObject PersonalActivity(string type, string botAppId, Guid tenantId, Guid userId)
    {
        var conversation = new JsonObject
        {
            ["conversationType"] = "personal",
            ["tenantId"] = tenantId.ToString(),
            ["id"] = _bot.Conversations.GetOrCreate(botAppId, tenantId, userId).Id,
        };
        var channelData = new JsonObject { ["tenant"] = new JsonObject { ["id"] = tenantId.ToString() } };
        if (type == "installationUpdate")
        {
            channelData["source"] = new JsonObject { ["name"] = "message" };
        }

        return Activity(type, botAppId, UserAccount(tenantId, userId, withName: true), conversation, channelData);
    }

    private JsonObject Activity(string type, string botAppId, JsonObject from, JsonObject conversation, JsonObject channelData)
    {
        var now = _runtime.Now;
        var activity = new JsonObject
        {
            ["type"] = type,
            ["id"] = $"f:{Guid.NewGuid()}",
            ["timestamp"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture),
            ["localTimestamp"] = now.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffffzzz", CultureInfo.InvariantCulture),
            ["channelId"] = "msteams",
            ["serviceUrl"] = _bot.ServiceUrl,
            ["from"] = from,
            ["conversation"] = conversation,
            ["recipient"] = BotAccount(botAppId, withName: true),
            ["channelData"] = channelData,
        };
        if (type == "installationUpdate")
        {
            activity["entities"] = new JsonArray(new JsonObject { ["type"] = "clientInfo", ["locale"] = "en-US", ["platform"] = "Web" });
            activity["locale"] = "en-US";
        }

        return activity;
    }

    private JsonObject TeamJson(BotTeam team)
    {
        var json = new JsonObject { ["id"] = team.Id };
        if (_options.IncludeTeamDetails)
        {
            json["name"] = team.Name;
            json["aadGroupId"] = team.AadGroupId.ToString();
        }

        return json;
    }

    private JsonObject BotAccount(string botAppId, bool withName)
    {
        var account = new JsonObject { ["id"] = ConnectorIds.BotId(botAppId) };
        if (withName)
        {
            account["name"] = _bot.FindBot(botAppId)?.Name;
        }

        return account;
    }

    private JsonObject UserAccount(Guid tenantId, Guid userId, bool withName)
    {
        var account = new JsonObject { ["id"] = ConnectorIds.UserId(tenantId, userId), ["aadObjectId"] = userId.ToString() };
        if (withName && _bot.Directory.FindUser(tenantId, userId) is { } user)
        {
            account["name"] = user.Name;
        }

        return account;
    }

    private static StringContent JsonContent(JsonObject activity) => new(activity.ToJsonString(), Encoding.UTF8, "application/json");
}

/// <summary>
/// One activity the channel posted: every attempt's HTTP status (0 when the endpoint could not be
/// reached), whether it ended in 2xx, the last error body or message, and the last response's body
/// (an invoke's answer).
/// </summary>
public sealed record DeliveryRecord(
    string ActivityId,
    string Type,
    string BotAppId,
    Uri Endpoint,
    DateTimeOffset Timestamp,
    IReadOnlyList<int> Statuses,
    bool Delivered,
    string? Error,
    JsonObject Activity,
    string? ResponseBody = null);
