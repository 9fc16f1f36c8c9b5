using System.Buffers;
using System.Text.Json;
using IncidentIo.Domain.Bot;
using IncidentIo.Domain.Bot.Connector;
using IncidentIo.Domain.Bot.Declare;
using IncidentIo.Domain.Bot.Inbound;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.Extensions.Options;

namespace IncidentIo.Portal.Bot;

/// <summary>
/// Our bot's messaging endpoint (the Azure Bot resource's "messaging endpoint"): the Bot Framework
/// channel posts Teams' activities here. Authenticated by the channel's token only: no cookie, no
/// antiforgery, never a redirect to sign-in. The token is checked before the body is read, the
/// body is bounded by <c>Bot:MaxActivityBytes</c>, an activity whose <c>serviceUrl</c> is not an
/// allowed Teams host (<see cref="ServiceUrlAllowlist"/>) is refused, and a refused request changes nothing.
/// </summary>
public static class BotEndpoint
{
    public const string Path = "/api/messages";

    public static WebApplication MapBotEndpoint(this WebApplication app)
    {
        app.MapPost(Path, ReceiveAsync).AllowAnonymous().DisableAntiforgery();
        return app;
    }

    private static async Task<IResult> ReceiveAsync(
        HttpContext http, ChannelTokenValidator tokens, ServiceUrlAllowlist serviceUrls, InboundActivities inbound, BotDeclare declare,
        IOptions<BotOptions> bot, ILoggerFactory loggers)
    {
        // Answers here are for the channel, not a browser: no re-executed "not found" page.
        if (http.Features.Get<IStatusCodePagesFeature>() is { } statusPages)
        {
            statusPages.Enabled = false;
        }

        var logger = loggers.CreateLogger(typeof(BotEndpoint));
        var token = await tokens.ValidateAsync(http.Request.Headers.Authorization.ToString() is { Length: > 0 } header ? header : null, http.RequestAborted);
        if (!token.IsValid)
        {
            return Refuse(http, logger, token);
        }

        var limit = bot.Value.MaxActivityBytes;
        if (http.Request.ContentLength > limit)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, $"An activity is at most {limit} bytes.");
        }

        var body = await ReadAtMostAsync(http.Request.Body, limit, http.RequestAborted);
        if (body is null)
        {
            return Problem(StatusCodes.Status413PayloadTooLarge, $"An activity is at most {limit} bytes.");
        }

        BotActivity? activity;
        try
        {
            activity = JsonSerializer.Deserialize<BotActivity>(body, BotActivity.Json);
        }
        catch (JsonException)
        {
            return Problem(StatusCodes.Status400BadRequest, "The body is not a JSON activity.");
        }

        if (activity is null || activity.Problem() is not null)
        {
            return Problem(StatusCodes.Status400BadRequest, $"Not an activity we can read: {activity?.Problem() ?? "empty body"}.");
        }

        var admitted = ChannelTokenValidator.Admit(token, activity);
        if (!admitted.IsValid)
        {
            return Refuse(http, logger, admitted);
        }

        // A genuine token vouches for the serviceUrl, but we still only ever call Teams' own hosts:
        // stored, another host would later get our bot's connector token.
        if (!serviceUrls.Allows(activity.ServiceUrl))
        {
            logger.LogWarning(
                "Bot endpoint refused activity {Type} {Id}: its serviceUrl {ServiceUrl} is not an allowed Teams host ({Allowed}; Bot:Connector:AllowedServiceUrlHosts)",
                activity.Type, activity.Id, activity.ServiceUrl, string.Join(", ", serviceUrls.Hosts));
            return Problem(StatusCodes.Status403Forbidden, "The activity's serviceUrl is not an allowed Teams service host.");
        }

        if (activity.Type == "invoke")
        {
            return await AnswerInvokeAsync(activity, declare, logger, http.RequestAborted);
        }

        var outcome = await inbound.HandleAsync(activity, http.RequestAborted);
        logger.LogInformation("Bot activity {Type} {Id}: {Outcome}", activity.Type, activity.Id, outcome);
        return Results.Ok();
    }

    /// <summary>
    /// Teams waits for an invoke's answer in the HTTP response (status 200, the invoke response as
    /// the body) and retries one that is not answered within seconds: the card's submit is handled
    /// here, at once, and made idempotent by <see cref="BotDeclare"/>. Invokes we do not handle get
    /// 501, as the Bot Framework SDK answers them.
    /// https://learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/universal-actions-for-adaptive-cards/work-with-universal-actions-for-adaptive-cards
    /// </summary>
    private static async Task<IResult> AnswerInvokeAsync(BotActivity activity, BotDeclare declare, ILogger logger, CancellationToken cancellationToken)
    {
        if (activity.Name != BotDeclare.CardActionInvoke)
        {
            logger.LogInformation("Bot invoke {Name} {Id}: not handled", activity.Name, activity.Id);
            return Results.StatusCode(StatusCodes.Status501NotImplemented);
        }

        var answer = await declare.AnswerAsync(activity, cancellationToken);
        logger.LogInformation("Bot invoke {Name} {Id}: answered {Type}", activity.Name, activity.Id, answer["type"]?.GetValue<string>());
        return Results.Text(answer.ToJsonString(), "application/json; charset=utf-8", statusCode: StatusCodes.Status200OK);
    }

    private static IResult Refuse(HttpContext http, ILogger logger, ChannelTokenCheck check)
    {
        logger.LogWarning("Bot endpoint refused a request ({Status}): {Reason}", check.Status, check.Failure);
        if (check.Status == StatusCodes.Status401Unauthorized)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
        }

        // The reason stays in our log: a caller without a valid token learns nothing from it.
        return Problem(check.Status, check.Status switch
        {
            StatusCodes.Status403Forbidden => "The token is not valid for this channel.",
            StatusCodes.Status503ServiceUnavailable => "The channel's keys cannot be read now; try again later.",
            _ => "Authorization has been denied for this request.",
        });
    }

    private static IResult Problem(int status, string message) =>
        Results.Json(new { error = new { code = status.ToString(System.Globalization.CultureInfo.InvariantCulture), message } }, statusCode: status);

    /// <summary>The body, or null as soon as it passes <paramref name="limit"/> bytes (a body without Content-Length is never read whole).</summary>
    private static async Task<byte[]?> ReadAtMostAsync(Stream body, int limit, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(Math.Min(limit, 16 * 1024));
        while (true)
        {
            var memory = buffer.GetMemory(8 * 1024);
            var read = await body.ReadAsync(memory, cancellationToken);
            if (read == 0)
            {
                return buffer.WrittenSpan.ToArray();
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > limit)
            {
                return null;
            }
        }
    }
}
