using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace IncidentIo.Sandbox.BotFramework;

/// <summary>The connector's error body, <c>{"error":{"code","message"}}</c>, with Teams' codes and texts.</summary>
public static class ConnectorErrors
{
    public static IResult Result(int status, string code, string message) =>
        Results.Json(new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } }, statusCode: status);

    public static IResult BadArgument(string message) => Result(StatusCodes.Status400BadRequest, "BadArgument", message);

    public static IResult NotInstalledForUser() =>
        Result(StatusCodes.Status403Forbidden, "ForbiddenOperationException", "Bot is not installed in user's personal scope");

    public static IResult NotInRoster() =>
        Result(StatusCodes.Status403Forbidden, "BotNotInConversationRoster", "The bot is not part of the conversation roster.");

    public static IResult ConversationNotFound() =>
        Result(StatusCodes.Status404NotFound, "ConversationNotFound", "Conversation not found.");

    public static IResult BotNotRegistered() =>
        Result(StatusCodes.Status401Unauthorized, "BotNotRegistered", "No registration found for this bot.");

    /// <summary>A one-to-one send after the user removed the app: the send-proactive-messages page's 209 body.</summary>
    public static IResult MessageWritesBlocked() =>
        Results.Json(new JsonObject
        {
            ["errorCode"] = 209,
            ["message"] = new JsonObject { ["subCode"] = "MessageWritesBlocked", ["message"] = "Thread is blocked from message writes." }.ToJsonString(),
        }, statusCode: StatusCodes.Status403Forbidden);
}
