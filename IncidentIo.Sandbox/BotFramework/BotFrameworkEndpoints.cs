using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace IncidentIo.Sandbox.BotFramework;

/// <summary>
/// Wires the Bot Framework side into the Sandbox host, and its control API under
/// <c>/sandbox/api/bot</c>: the activities bots sent, the channel's deliveries, and
/// <c>POST /sandbox/api/bot/send</c> to make the channel send an event.
/// </summary>
public static class BotFrameworkEndpoints
{
    public static IServiceCollection AddBotFramework(this IServiceCollection services, BotFrameworkOptions options) =>
        services.AddSingleton(options).AddSingleton<BotFrameworkSandbox>();

    public static void MapBotFramework(this IEndpointRouteBuilder app)
    {
        app.MapBotAuth();
        app.MapConnector();
        var api = app.MapGroup("/sandbox/api/bot");
        api.MapGet("/bots", (BotFrameworkSandbox bot) => bot.Bots());
        api.MapGet("/activities", (BotFrameworkSandbox bot, string? conversationId) =>
            conversationId is null ? bot.Activities.All() : bot.Activities.For(conversationId));
        api.MapGet("/deliveries", (BotFrameworkSandbox bot) => bot.Channel.Deliveries());
        api.MapPost("/send", Send);
    }

    private static async Task<IResult> Send(SendRequest body, BotFrameworkSandbox bot, CancellationToken cancellationToken)
    {
        var appId = body.BotAppId ?? (bot.Bots() is [var only] ? only.AppId : null);
        if (appId is null)
        {
            return Results.BadRequest(new { error = "botAppId is required when there is not exactly one registered bot." });
        }

        try
        {
            IReadOnlyList<DeliveryRecord> results = body.Event switch
            {
                "teamInstalled" => await bot.Channel.TeamInstalledAsync(appId, Need(body.TeamId, "teamId"), Need(body.UserId, "userId"), cancellationToken),
                "teamUninstalled" => await bot.Channel.TeamUninstalledAsync(appId, Need(body.TeamId, "teamId"), Need(body.UserId, "userId"), cancellationToken),
                "userInstalled" => await bot.Channel.UserInstalledAsync(appId, Need(body.TenantId, "tenantId"), Need(body.UserId, "userId"), cancellationToken),
                "userUninstalled" => [await bot.Channel.UserUninstalledAsync(appId, Need(body.TenantId, "tenantId"), Need(body.UserId, "userId"), cancellationToken)],
                "membersAdded" => [await bot.Channel.MembersAddedAsync(appId, Need(body.TeamId, "teamId"), Need(body.UserIds, "userIds"), cancellationToken)],
                "membersRemoved" => [await bot.Channel.MembersRemovedAsync(appId, Need(body.TeamId, "teamId"), Need(body.UserIds, "userIds"), cancellationToken)],
                "teamRenamed" => [await bot.Channel.TeamRenamedAsync(appId, Need(body.TeamId, "teamId"), Need(body.UserId, "userId"), cancellationToken)],
                "activity" => [await bot.Channel.SendAsync(appId, Need(body.Activity, "activity"), cancellationToken)],
                _ => throw new ArgumentException(
                    "event must be one of teamInstalled, teamUninstalled, userInstalled, userUninstalled, membersAdded, membersRemoved, teamRenamed, activity."),
            };
            return Results.Ok(results);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return Results.BadRequest(new { error = e.Message });
        }
    }

    private static T Need<T>(T? value, string name) where T : class =>
        value ?? throw new ArgumentException($"{name} is required for this event.");

    private static T Need<T>(T? value, string name) where T : struct =>
        value ?? throw new ArgumentException($"{name} is required for this event.");

    /// <summary>
    /// The body of <c>POST /sandbox/api/bot/send</c>. <see cref="Event"/> names the Teams event; the
    /// ids it needs: teamId (thread id) and userId (who acted) for team events, tenantId and userId
    /// for personal ones, userIds for membership changes, activity for a raw activity.
    /// </summary>
    public sealed record SendRequest(
        string Event,
        string? BotAppId = null,
        string? TeamId = null,
        Guid? TenantId = null,
        Guid? UserId = null,
        IReadOnlyList<Guid>? UserIds = null,
        JsonObject? Activity = null);
}
