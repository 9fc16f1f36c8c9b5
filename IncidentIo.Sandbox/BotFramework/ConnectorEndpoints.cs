using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IncidentIo.Sandbox.Entra;
using IncidentIo.Sandbox.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;

namespace IncidentIo.Sandbox.BotFramework;

/// <summary>
/// The Teams connector service at <see cref="BotFrameworkSandbox.ServicePath"/>: create one-to-one
/// conversations, send and update activities, list members. Every response carries
/// <c>X-Correlating-OperationId</c>; callers need a connector token whose <c>appid</c> is a
/// registered bot. Users in <c>members[].id</c> may be <c>29:</c> ids or AAD object ids.
/// </summary>
public static class ConnectorEndpoints
{
    private const string CallerKey = "sandbox.bot.caller";

    public static void MapConnector(this IEndpointRouteBuilder app)
    {
        var v3 = app.MapGroup(BotFrameworkSandbox.ServicePath.TrimEnd('/'));
        v3.AddEndpointFilter(Authenticate);
        v3.MapPost("/v3/conversations", CreateConversation);
        v3.MapPost("/v3/conversations/{conversationId}/activities", (HttpContext http, BotFrameworkSandbox bot, string conversationId) =>
            SendActivity(http, bot, conversationId, null));
        v3.MapPost("/v3/conversations/{conversationId}/activities/{activityId}", (HttpContext http, BotFrameworkSandbox bot, string conversationId, string activityId) =>
            SendActivity(http, bot, conversationId, activityId));
        v3.MapPut("/v3/conversations/{conversationId}/activities/{activityId}", UpdateActivity);
        v3.MapGet("/v3/conversations/{conversationId}/pagedmembers", PagedMembers);
        v3.MapGet("/v3/conversations/{conversationId}/members/{memberId}", Member);
        v3.MapGet("/v3/conversations/{conversationId}/members", AllMembers);
        v3.MapGet("/v3/teams/{teamId}", TeamDetails);
        v3.MapGet("/v3/teams/{teamId}/conversations", TeamChannels);
        v3.MapFallback(() => ConnectorErrors.Result(StatusCodes.Status404NotFound, "NotFound", "The requested resource was not found."));
    }

    private static async ValueTask<object?> Authenticate(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        http.Response.Headers["X-Correlating-OperationId"] = Guid.NewGuid().ToString("N")[..16];
        var runtime = http.RequestServices.GetRequiredService<SandboxRuntime>();
        var bot = http.RequestServices.GetRequiredService<BotFrameworkSandbox>();
        var appId = CallerAppId(http, runtime);
        if (appId is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return Results.Json(new JsonObject { ["message"] = "Authorization has been denied for this request." }, statusCode: StatusCodes.Status401Unauthorized);
        }

        if (bot.FindBot(appId) is null)
        {
            return ConnectorErrors.BotNotRegistered();
        }

        if (bot.TakeConnectorFailure() is var (status, retryAfter))
        {
            if (retryAfter is { } wait)
            {
                http.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            }

            return ConnectorErrors.Result(status, status switch { 429 => "Throttled", 412 => "PreconditionFailed", _ => "ServiceError" },
                status == 429 ? "Too many requests." : "The service failed to process the request (injected).");
        }

        http.Items[CallerKey] = appId;
        return await next(context);
    }

    /// <summary>The bot's app id from a valid connector token, or null.</summary>
    private static string? CallerAppId(HttpContext http, SandboxRuntime runtime)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var check = Jwt.Verify(header[7..].Trim(), runtime.Keys);
        var now = runtime.Now.ToUnixTimeSeconds();
        var valid = check.SignatureValid
            && check.NumericClaim("exp") is { } exp && exp > now
            && (check.NumericClaim("nbf") ?? 0) <= now + 300
            && check.Claim("aud") == BotFrameworkSandbox.ApiResource
            && check.Claim("iss") == BotFrameworkSandbox.TokenIssuer;
        return valid ? check.Claim("appid") : null;
    }

    private static string Caller(HttpContext http) => (string)http.Items[CallerKey]!;

    private static async Task<IResult> CreateConversation(HttpContext http, BotFrameworkSandbox bot)
    {
        var body = await ReadObject(http);
        if (body is null)
        {
            return ConnectorErrors.BadArgument("The request body is not a ConversationParameters object.");
        }

        if (body["isGroup"] is JsonValue isGroup && isGroup.TryGetValue<bool>(out var group) && group)
        {
            return ConnectorErrors.BadArgument("The Sandbox creates one-to-one conversations only (isGroup must be false).");
        }

        if (body["members"] is not JsonArray { Count: 1 } members || Text(members[0]?["id"]) is not { Length: > 0 } memberId)
        {
            return ConnectorErrors.BadArgument("Exactly one member with an id is required for a one-to-one conversation.");
        }

        if (!Guid.TryParse(Text(body["channelData"]?["tenant"]?["id"]) ?? Text(body["tenantId"]), out var tenantId))
        {
            return ConnectorErrors.BadArgument("The tenant id is required (channelData.tenant.id).");
        }

        Guid userId;
        if (ConnectorIds.TryParseUserId(memberId, out var idTenant, out var oid))
        {
            if (idTenant != tenantId)
            {
                return ConnectorErrors.BadArgument($"Member {memberId} is not in tenant {tenantId}.");
            }

            userId = oid;
        }
        else if (!Guid.TryParse(memberId, out userId))
        {
            return ConnectorErrors.BadArgument($"Invalid member id '{memberId}': a 29: user id or an AAD object id is required.");
        }

        var appId = Caller(http);
        if (!CanMessage(bot, appId, tenantId, userId))
        {
            return ConnectorErrors.NotInstalledForUser();
        }

        var conversation = bot.Conversations.GetOrCreate(appId, tenantId, userId);
        if (Throttle(http, bot, send: true, appId, tenantId, conversation.Id) is { } throttled)
        {
            return throttled;
        }

        var response = new JsonObject { ["id"] = conversation.Id };
        if (body["activity"] is JsonObject first)
        {
            response["activityId"] = Record(bot, appId, conversation.Id, first, null, conversation, null).Id;
        }

        return Results.Json(response, statusCode: StatusCodes.Status201Created);
    }

    /// <summary>
    /// A user gets the bot's 1:1 messages when its app is installed for them or they are in a team
    /// where it is installed (<see cref="IBotDirectory.IsInBotTeam"/>, send-proactive-messages page).
    /// </summary>
    private static bool CanMessage(BotFrameworkSandbox bot, string appId, Guid tenantId, Guid userId) =>
        bot.Directory.IsInstalledForUser(appId, tenantId, userId) || bot.Directory.IsInBotTeam(appId, tenantId, userId);

    private static async Task<IResult> SendActivity(HttpContext http, BotFrameworkSandbox bot, string conversationId, string? replyToId)
    {
        var appId = Caller(http);
        var (target, problem) = Resolve(bot, appId, conversationId);
        if (problem is not null)
        {
            return problem;
        }

        if (Throttle(http, bot, send: true, appId, target.TenantId, ConnectorIds.Thread(conversationId)) is { } throttled)
        {
            return throttled;
        }

        if (target.Personal is { } personal && !CanMessage(bot, appId, personal.TenantId, personal.UserId))
        {
            return ConnectorErrors.MessageWritesBlocked();
        }

        var body = await ReadObject(http);
        if (body is null || Text(body["type"]) is not { Length: > 0 })
        {
            return ConnectorErrors.BadArgument("The activity needs a type.");
        }

        var sent = Record(bot, appId, conversationId, body, replyToId ?? Text(body["replyToId"]), target.Personal, target.Team);
        if (bot.SendAnswerDelay > TimeSpan.Zero)
        {
            // Not cut short when the caller goes away: the message stays posted either way.
            await Task.Delay(bot.SendAnswerDelay, CancellationToken.None);
        }

        return Results.Json(new JsonObject { ["id"] = sent.Id }, statusCode: StatusCodes.Status201Created);
    }

    /// <summary>
    /// Update Activity: replaces the text and attachments of a message the bot sent, keeping its id;
    /// answers 200 with a ResourceResponse (<c>{"id"}</c>).
    /// https://learn.microsoft.com/azure/bot-service/rest-api/bot-framework-rest-connector-api-reference#update-activity
    /// https://learn.microsoft.com/microsoftteams/platform/bots/how-to/update-and-delete-bot-messages
    /// The error for an id the conversation does not have is not documented: the Sandbox answers 404 <c>NotFound</c>.
    /// </summary>
    private static async Task<IResult> UpdateActivity(HttpContext http, BotFrameworkSandbox bot, string conversationId, string activityId)
    {
        var appId = Caller(http);
        var (target, problem) = Resolve(bot, appId, conversationId);
        if ((problem ?? Throttle(http, bot, send: true, appId, target.TenantId, ConnectorIds.Thread(conversationId))) is { } refused)
        {
            return refused;
        }

        var body = await ReadObject(http);
        if (body is null || Text(body["type"]) is not { Length: > 0 })
        {
            return ConnectorErrors.BadArgument("The activity needs a type.");
        }

        var updated = bot.Activities.Replace(appId, conversationId, activityId, sent => sent with
        {
            Text = Text(body["text"]),
            Attachments = body["attachments"]?.DeepClone() as JsonArray,
            Activity = (JsonObject)body.DeepClone(),
        });
        return updated
            ? Results.Json(new JsonObject { ["id"] = activityId })
            : ConnectorErrors.Result(StatusCodes.Status404NotFound, "NotFound", $"Activity {activityId} was not found in the conversation.");
    }

    private static IResult PagedMembers(HttpContext http, BotFrameworkSandbox bot, string conversationId, int? pageSize, string? continuationToken)
    {
        var (target, problem) = Resolve(bot, Caller(http), conversationId);
        if ((problem ?? Throttle(http, bot, send: false, Caller(http), target.TenantId, ConnectorIds.Thread(conversationId))) is { } refused)
        {
            return refused;
        }

        var size = Math.Clamp(pageSize ?? bot.Options.DefaultMembersPageSize, 1, bot.Options.MaxMembersPageSize);
        var offset = 0;
        if (!string.IsNullOrEmpty(continuationToken) && !TryReadToken(continuationToken, out offset))
        {
            return ConnectorErrors.BadArgument("The continuation token is not valid.");
        }

        var members = Members(bot, target);
        var page = new JsonObject { ["members"] = new JsonArray([.. members.Skip(offset).Take(size).Select(ToJson)]) };
        if (offset + size < members.Count)
        {
            page["continuationToken"] = WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes($"o:{offset + size}"));
        }

        return Results.Json(page);
    }

    /// <summary>TeamDetails: <c>id</c> (General channel thread), <c>name</c>, <c>aadGroupId</c>, <c>channelCount</c>, <c>memberCount</c>.</summary>
    private static IResult TeamDetails(HttpContext http, BotFrameworkSandbox bot, string teamId)
    {
        var (target, problem) = Resolve(bot, Caller(http), teamId);
        if ((problem ?? Throttle(http, bot, send: false, Caller(http), target.TenantId, ConnectorIds.Thread(teamId))) is { } refused)
        {
            return refused;
        }

        var team = target.Team;
        if (team is null)
        {
            return ConnectorErrors.ConversationNotFound();
        }

        return Results.Json(new JsonObject
        {
            ["id"] = team.Id,
            ["name"] = team.Name,
            ["aadGroupId"] = team.AadGroupId.ToString(),
            ["channelCount"] = team.Channels.Count,
            ["memberCount"] = bot.Directory.TeamMembers(team.Id).Count,
        });
    }

    /// <summary>The team's channels as <c>{"conversations":[{"id","name"}]}</c>.</summary>
    private static IResult TeamChannels(HttpContext http, BotFrameworkSandbox bot, string teamId)
    {
        var (target, problem) = Resolve(bot, Caller(http), teamId);
        if ((problem ?? Throttle(http, bot, send: false, Caller(http), target.TenantId, ConnectorIds.Thread(teamId))) is { } refused)
        {
            return refused;
        }

        if (target.Team is not { } team)
        {
            return ConnectorErrors.ConversationNotFound();
        }

        return Results.Json(new JsonObject
        {
            ["conversations"] = new JsonArray([.. team.Channels.Select(c => new JsonObject { ["id"] = c.Id, ["name"] = c.Name })]),
        });
    }

    /// <summary>The deprecated unpaged list: the whole roster as an array.</summary>
    private static IResult AllMembers(HttpContext http, BotFrameworkSandbox bot, string conversationId)
    {
        var (target, problem) = Resolve(bot, Caller(http), conversationId);
        if ((problem ?? Throttle(http, bot, send: false, Caller(http), target.TenantId, ConnectorIds.Thread(conversationId))) is { } refused)
        {
            return refused;
        }

        return Results.Json(new JsonArray([.. Members(bot, target).Select(ToJson)]));
    }

    private static IResult Member(HttpContext http, BotFrameworkSandbox bot, string conversationId, string memberId)
    {
        var (target, problem) = Resolve(bot, Caller(http), conversationId);
        if ((problem ?? Throttle(http, bot, send: false, Caller(http), target.TenantId, ConnectorIds.Thread(conversationId))) is { } refused)
        {
            return refused;
        }

        var found = Members(bot, target).FirstOrDefault(m =>
            m.TeamsId == memberId
            || (Guid.TryParse(memberId, out var oid) && m.AadObjectId == oid)
            || string.Equals(m.UserPrincipalName, memberId, StringComparison.OrdinalIgnoreCase));
        return found is null
            ? ConnectorErrors.Result(StatusCodes.Status404NotFound, "MemberNotFoundInConversation", "The member is not part of the conversation.")
            : Results.Json(ToJson(found));
    }

    /// <summary>A conversation the calling bot may use: its own one-to-one chat, or a thread of a team that has it.</summary>
    private static (Target Target, IResult? Problem) Resolve(BotFrameworkSandbox bot, string appId, string conversationId)
    {
        var thread = ConnectorIds.Thread(conversationId);
        if (thread.StartsWith("a:", StringComparison.Ordinal))
        {
            var personal = bot.Conversations.Find(thread);
            return personal is null || !string.Equals(personal.BotAppId, appId, StringComparison.OrdinalIgnoreCase)
                ? (default, ConnectorErrors.ConversationNotFound())
                : (new Target(personal, null), null);
        }

        var team = bot.Directory.FindTeamByThread(thread);
        if (team is null)
        {
            return (default, ConnectorErrors.ConversationNotFound());
        }

        return bot.Directory.IsInstalledInTeam(appId, team.Id) ? (new Target(null, team), null) : (default, ConnectorErrors.NotInRoster());
    }

    /// <summary>429 <c>Throttled</c> with <c>Retry-After</c> (whole seconds) when rate limits are on and exceeded.</summary>
    private static IResult? Throttle(HttpContext http, BotFrameworkSandbox bot, bool send, string appId, Guid? tenantId, string thread)
    {
        if (!bot.EnforceRateLimits)
        {
            return null;
        }

        var wait = send ? bot.RateLimiter.Send(appId, tenantId, thread, bot.Now) : bot.RateLimiter.Read(appId, tenantId, thread, bot.Now);
        if (wait is null)
        {
            return null;
        }

        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.Value.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return ConnectorErrors.Result(StatusCodes.Status429TooManyRequests, "Throttled", "Too many requests.");
    }

    private static IReadOnlyList<BotMember> Members(BotFrameworkSandbox bot, Target target) =>
        target.Team is { } team ? bot.Directory.TeamMembers(team.Id)
        : bot.Directory.FindUser(target.Personal!.TenantId, target.Personal.UserId) is { } user ? [user] : [];

    private static SentActivity Record(BotFrameworkSandbox bot, string appId, string conversationId, JsonObject activity, string? replyToId,
        PersonalConversation? personal, BotTeam? team)
    {
        var sent = new SentActivity(
            bot.NewMessageId(), appId, conversationId, personal?.TenantId ?? team?.TenantId, personal?.UserId, team?.Id, bot.Now,
            Text(activity["type"]) ?? "message", Text(activity["text"]), activity["attachments"]?.DeepClone() as JsonArray, replyToId,
            (JsonObject)activity.DeepClone());
        bot.Activities.Add(sent);
        return sent;
    }

    private static JsonObject ToJson(BotMember member) => new()
    {
        ["id"] = member.TeamsId,
        ["name"] = member.Name,
        ["aadObjectId"] = member.AadObjectId.ToString(),
        ["givenName"] = member.GivenName,
        ["surname"] = member.Surname,
        ["tenantId"] = member.TenantId.ToString(),
        ["userRole"] = member.UserRole,
    };

    private static bool TryReadToken(string token, out int offset)
    {
        offset = 0;
        try
        {
            var text = Encoding.UTF8.GetString(WebEncoders.Base64UrlDecode(token));
            return text.StartsWith("o:", StringComparison.Ordinal)
                && int.TryParse(text.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out offset);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static async Task<JsonObject?> ReadObject(HttpContext http)
    {
        try
        {
            return await JsonNode.ParseAsync(http.Request.Body, cancellationToken: http.RequestAborted) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private readonly record struct Target(PersonalConversation? Personal, BotTeam? Team)
    {
        public Guid? TenantId => Personal?.TenantId ?? Team?.TenantId;
    }
}
