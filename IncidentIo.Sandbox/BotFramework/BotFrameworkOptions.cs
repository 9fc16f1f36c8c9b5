namespace IncidentIo.Sandbox.BotFramework;

/// <summary>
/// How the Sandbox's Bot Framework side behaves. Values Microsoft does not publish (page sizes,
/// token lifetimes, retry policy) are settings here rather than guesses baked into the code.
/// </summary>
public sealed class BotFrameworkOptions
{
    /// <summary>
    /// The bot's messaging endpoint (e.g. <c>https://localhost:7080/api/messages</c>) for bots
    /// registered without one of their own. Can also be set at run time on <see cref="BotChannel"/>.
    /// </summary>
    public Uri? BotEndpoint { get; init; }

    /// <summary>
    /// The client the channel posts activities with; the caller makes it trust the bot's
    /// certificate. Can also be set at run time on <see cref="BotChannel"/>.
    /// </summary>
    public HttpClient? BotHttpClient { get; init; }

    /// <summary>Attempts per activity when the bot answers 5xx or cannot be reached (Microsoft retries too).</summary>
    public int DeliveryAttempts { get; init; } = 3;

    /// <summary>Wait before the first retry; doubled for each further one.</summary>
    public TimeSpan DeliveryRetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Lifetime of the tokens the channel signs for the bot (not published by Microsoft).</summary>
    public TimeSpan ChannelTokenLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary><c>pagedmembers</c> page size when the bot sends none (bounds not published by Microsoft).</summary>
    public int DefaultMembersPageSize { get; init; } = 200;

    /// <summary>Largest <c>pageSize</c> honoured; larger requests are cut to it.</summary>
    public int MaxMembersPageSize { get; init; } = 500;

    /// <summary>
    /// Send <c>team.name</c> and <c>team.aadGroupId</c> in membership events' <c>channelData</c>.
    /// Microsoft's examples show only <c>team.id</c>; renames always carry the new name.
    /// </summary>
    public bool IncludeTeamDetails { get; init; }

    /// <summary>Answer 429 <c>Throttled</c> past <see cref="RateLimits"/>; can be switched at run time.</summary>
    public bool EnforceRateLimits { get; init; }

    /// <summary>Teams' published bot rate limits, enforced when <see cref="EnforceRateLimits"/> is on.</summary>
    public BotRateLimits RateLimits { get; init; } = new();
}

/// <summary>
/// Teams' bot rate limits as published ("subject to change"): per bot per thread, per thread for
/// all bots, and per app per tenant. Windows slide; each limit is (requests, window).
/// </summary>
public sealed record BotRateLimits
{
    /// <summary>Send / create conversation, per bot per thread: (requests, window).</summary>
    public IReadOnlyList<(int Requests, TimeSpan Window)> SendPerBotPerThread { get; init; } =
        [(7, TimeSpan.FromSeconds(1)), (8, TimeSpan.FromSeconds(2)), (60, TimeSpan.FromSeconds(30)), (1800, TimeSpan.FromHours(1))];

    /// <summary>Get members / get conversations, per bot per thread.</summary>
    public IReadOnlyList<(int Requests, TimeSpan Window)> ReadPerBotPerThread { get; init; } =
        [(14, TimeSpan.FromSeconds(1)), (16, TimeSpan.FromSeconds(2)), (120, TimeSpan.FromSeconds(30)), (3600, TimeSpan.FromHours(1))];

    /// <summary>Send / create conversation, per thread for all bots.</summary>
    public IReadOnlyList<(int Requests, TimeSpan Window)> SendPerThread { get; init; } =
        [(14, TimeSpan.FromSeconds(1)), (16, TimeSpan.FromSeconds(2))];

    /// <summary>Get members / get conversations, per thread for all bots.</summary>
    public IReadOnlyList<(int Requests, TimeSpan Window)> ReadPerThread { get; init; } =
        [(28, TimeSpan.FromSeconds(1)), (32, TimeSpan.FromSeconds(2))];

    /// <summary>All requests, per app per tenant, per second.</summary>
    public int PerAppPerTenantPerSecond { get; init; } = 30;
}
