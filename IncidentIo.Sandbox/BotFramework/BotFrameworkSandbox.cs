using System.Globalization;
using IncidentIo.Sandbox.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace IncidentIo.Sandbox.BotFramework;

/// <summary>
/// The Sandbox's Bot Framework side: the registered bots, the connector service they call
/// (<see cref="ServiceUrl"/>), the channel that posts Teams activities to them
/// (<see cref="Channel"/>), and logs of both directions. Teams facts come from <see cref="Directory"/>.
/// </summary>
public sealed class BotFrameworkSandbox : IDisposable
{
    /// <summary>The Entra tenant multi-tenant bots get their connector tokens from.</summary>
    public const string TenantDomain = "botframework.com";

    /// <summary><c>botframework.com</c>'s tenant id, as in the v1 issuer of its tokens.</summary>
    public static readonly Guid TenantId = new("d6d49420-f39b-4df7-a1dc-d59a935871db");

    /// <summary>The connector's resource: token audience, and issuer of channel-to-bot tokens.</summary>
    public const string ApiResource = "https://api.botframework.com";

    /// <summary>Where the Teams connector service is served; with the origin it is the <c>serviceUrl</c>.</summary>
    public const string ServicePath = "/botframework/teams/";

    /// <summary>Mirrors <c>https://login.botframework.com/v1/.well-known/openidconfiguration</c>.</summary>
    public const string OpenIdMetadataPath = "/botframework/v1/.well-known/openidconfiguration";

    /// <summary>Mirrors <c>https://login.botframework.com/v1/.well-known/keys</c>.</summary>
    public const string KeysPath = "/botframework/v1/.well-known/keys";

    /// <summary>
    /// login.botframework.com's own metadata path, served too at the Sandbox's origin root: with
    /// <c>SandboxRedirectHandler</c>, Microsoft's metadata URL reaches the Sandbox unchanged.
    /// </summary>
    public const string LoginOpenIdMetadataPath = "/v1/.well-known/openidconfiguration";

    /// <summary>login.botframework.com's own keys path (the <c>jwks_uri</c> of <see cref="LoginOpenIdMetadataPath"/>).</summary>
    public const string LoginKeysPath = "/v1/.well-known/keys";

    /// <summary>Microsoft's channel metadata URL; it works against the Sandbox through <c>SandboxRedirectHandler</c>.</summary>
    public const string ProductionOpenIdMetadataUrl = "https://login.botframework.com" + LoginOpenIdMetadataPath;

    private readonly SandboxRuntime _runtime;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, BotRegistration> _bots = new(StringComparer.OrdinalIgnoreCase);
    private long _lastMessageId;
    private readonly Queue<(int Status, TimeSpan? RetryAfter)> _failures = new();

    public BotFrameworkSandbox(SandboxRuntime runtime, BotFrameworkOptions options, ILoggerFactory? loggers = null)
    {
        _runtime = runtime;
        Options = options;
        Directory = new TeamsBotDirectory(runtime.State);
        Channel = new BotChannel(this, runtime, options);
        EnforceRateLimits = options.EnforceRateLimits;
        RateLimiter = new ConnectorRateLimiter(options.RateLimits);
        Relay = new TeamsEventRelay(this, runtime.State, (loggers ?? NullLoggerFactory.Instance).CreateLogger<TeamsEventRelay>());
    }

    /// <summary>The issuer of connector tokens (v1, like Entra's for this resource).</summary>
    public static string TokenIssuer => $"https://sts.windows.net/{TenantId}/";

    public BotFrameworkOptions Options { get; }

    /// <summary>The <c>serviceUrl</c> in activities, e.g. <c>https://localhost:54321/botframework/teams/</c>.</summary>
    public string ServiceUrl => _runtime.Origin + ServicePath;

    /// <summary>The OpenID metadata a bot validates channel tokens against.</summary>
    public string OpenIdMetadataUrl => _runtime.Origin + OpenIdMetadataPath;

    /// <summary>
    /// Teams facts: the Sandbox's Teams state (<see cref="TeamsBotDirectory"/>) unless a test puts
    /// an in-memory <see cref="BotDirectory"/> here (Teams changes then reach no bot).
    /// </summary>
    public IBotDirectory Directory { get; set; }

    /// <summary>Sends bots the activities for app installs and membership changes in Teams state.</summary>
    public TeamsEventRelay Relay { get; }

    public ChannelKeys ChannelKeys { get; } = new();

    /// <summary>Whether the connector answers 429 <c>Throttled</c> past Teams' published limits.</summary>
    public bool EnforceRateLimits { get; set; }

    public ConnectorRateLimiter RateLimiter { get; }

    /// <summary>
    /// How long a send (<c>POST …/activities</c>) waits before answering, after the message is posted
    /// and in <see cref="Activities"/>: a slow Teams, where a bot that stops waiting cannot know
    /// whether its message went out. Zero (the default) answers at once; settable at run time.
    /// </summary>
    public TimeSpan SendAnswerDelay { get; set; }

    /// <summary>Every activity bots sent through the connector.</summary>
    public ActivityLog Activities { get; } = new();

    /// <summary>Cards replaced for one person by the bot's answer to their <c>Action.Execute</c>.</summary>
    public CardViews CardViews { get; } = new();

    public ConversationStore Conversations { get; } = new();

    /// <summary>Posts signed Teams activities to bots.</summary>
    public BotChannel Channel { get; }

    internal DateTimeOffset Now => _runtime.Now;

    /// <summary>
    /// Registers (or replaces) a bot, as creating an Azure Bot resource does. Its app id must also
    /// be an app registration (<c>SandboxHost.RegisterApp</c>) with a secret, to get tokens.
    /// </summary>
    public BotRegistration RegisterBot(BotRegistration bot)
    {
        lock (_gate)
        {
            _bots[bot.AppId] = bot;
            return bot;
        }
    }

    public BotRegistration? FindBot(string appId)
    {
        lock (_gate)
        {
            return _bots.GetValueOrDefault(appId);
        }
    }

    public IReadOnlyList<BotRegistration> Bots()
    {
        lock (_gate)
        {
            return [.. _bots.Values.OrderBy(b => b.AppId, StringComparer.Ordinal)];
        }
    }

    /// <summary>
    /// The connector's next <paramref name="count"/> authenticated calls answer <paramref name="status"/>
    /// (429 <c>Throttled</c>, 412 <c>PreconditionFailed</c>, otherwise <c>ServiceError</c>), with
    /// <c>Retry-After</c> when given, and do nothing else: Teams' transient failures, on demand.
    /// </summary>
    public void FailNextConnectorCalls(int count, int status, TimeSpan? retryAfter = null)
    {
        lock (_gate)
        {
            for (var i = 0; i < count; i++)
            {
                _failures.Enqueue((status, retryAfter));
            }
        }
    }

    internal (int Status, TimeSpan? RetryAfter)? TakeConnectorFailure()
    {
        lock (_gate)
        {
            return _failures.TryDequeue(out var failure) ? failure : null;
        }
    }

    /// <summary>Teams-style message ids: milliseconds since the epoch, unique and increasing.</summary>
    internal string NewMessageId()
    {
        var now = Now.ToUnixTimeMilliseconds();
        long last, next;
        do
        {
            last = Interlocked.Read(ref _lastMessageId);
            next = Math.Max(now, last + 1);
        }
        while (Interlocked.CompareExchange(ref _lastMessageId, next, last) != last);

        return next.ToString(CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        Relay.Dispose();
        ChannelKeys.Dispose();
    }
}

/// <summary>An Azure Bot resource: the app id it authenticates as, its name, its messaging endpoint.</summary>
public sealed record BotRegistration
{
    public required string AppId { get; init; }

    public string Name { get; init; } = "IncidentIo";

    /// <summary>Where the channel posts activities; <see cref="BotFrameworkOptions.BotEndpoint"/> when null.</summary>
    public Uri? Endpoint { get; init; }
}
