using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Bot.Connector;

/// <summary>
/// <c>Bot:Connector:*</c>: how fast and how often the connector is called. The limits are Teams'
/// published bot limits, which Microsoft says may change: settings, not constants.
/// </summary>
public sealed class BotConnectorOptions
{
    public const string Section = "Bot:Connector";

    /// <summary>Sends and conversation creations per bot per conversation thread, in any 1 s.</summary>
    public int SendsPerThreadPerSecond { get; set; } = 7;

    /// <summary>… in any 2 s.</summary>
    public int SendsPerThreadPer2Seconds { get; set; } = 8;

    /// <summary>… in any 30 s.</summary>
    public int SendsPerThreadPer30Seconds { get; set; } = 60;

    /// <summary>… in any hour.</summary>
    public int SendsPerThreadPerHour { get; set; } = 1800;

    /// <summary>Connector requests per app per tenant, in any 1 s.</summary>
    public int RequestsPerTenantPerSecond { get; set; } = 30;

    /// <summary>Further attempts after a 429, 412, 502, 503 or 504, before the call fails as transient.</summary>
    public int MaxRetries { get; set; } = 4;

    /// <summary>Wait before the first retry when Teams sent no <c>Retry-After</c>; doubled for each further one.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Longest wait between retries without <c>Retry-After</c>, and the longest <c>Retry-After</c> waited
    /// in place: a longer one ends the call as transient so the caller reschedules its work.
    /// </summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Microsoft's documented Teams connector hosts: the commercial cloud's
    /// (<c>https://smba.trafficmanager.net/teams/</c>, with regional paths such as <c>/amer/</c>,
    /// <c>/emea/</c>, <c>/apac/</c>), and GCC, GCC High and DoD's.
    /// https://learn.microsoft.com/microsoftteams/platform/bots/how-to/conversations/send-proactive-messages
    /// https://learn.microsoft.com/dotnet/api/microsoft.agents.extensions.teams.teamsproactiveserviceendpoints
    /// Microsoft publishes no complete list (Teams operated by 21Vianet names none), so the list is a setting.
    /// </summary>
    public static readonly IReadOnlyList<string> DocumentedTeamsHosts =
    [
        "smba.trafficmanager.net", "smba.infra.gcc.teams.microsoft.com", "smba.infra.gov.teams.microsoft.us", "smba.infra.dod.teams.microsoft.us",
    ];

    /// <summary>
    /// Live mode: the hosts (<c>host</c> or <c>host:port</c>) an activity's <c>serviceUrl</c> may name,
    /// and so the only ones the connector is called at. Empty means <see cref="DocumentedTeamsHosts"/>.
    /// Sandbox mode allows the Sandbox's origin only.
    /// </summary>
    public string[] AllowedServiceUrlHosts { get; set; } = [];

    /// <summary>The per-thread limits as (requests, window), for the pacer.</summary>
    internal IReadOnlyList<(int Requests, TimeSpan Window)> ThreadLimits =>
    [
        (SendsPerThreadPerSecond, TimeSpan.FromSeconds(1)), (SendsPerThreadPer2Seconds, TimeSpan.FromSeconds(2)),
        (SendsPerThreadPer30Seconds, TimeSpan.FromSeconds(30)), (SendsPerThreadPerHour, TimeSpan.FromHours(1)),
    ];

    internal IReadOnlyList<(int Requests, TimeSpan Window)> TenantLimits => [(RequestsPerTenantPerSecond, TimeSpan.FromSeconds(1))];
}

internal sealed class BotConnectorOptionsValidator : IValidateOptions<BotConnectorOptions>
{
    public ValidateOptionsResult Validate(string? name, BotConnectorOptions options)
    {
        var failures = new List<string>();
        foreach (var (key, value) in new[]
                 {
                     ("SendsPerThreadPerSecond", options.SendsPerThreadPerSecond), ("SendsPerThreadPer2Seconds", options.SendsPerThreadPer2Seconds),
                     ("SendsPerThreadPer30Seconds", options.SendsPerThreadPer30Seconds), ("SendsPerThreadPerHour", options.SendsPerThreadPerHour),
                     ("RequestsPerTenantPerSecond", options.RequestsPerTenantPerSecond),
                 })
        {
            if (value is < 1 or > 100_000)
            {
                failures.Add($"Bot:Connector:{key} must be between 1 and 100000 (it is {value}).");
            }
        }

        if (options.MaxRetries is < 0 or > 10)
        {
            failures.Add($"Bot:Connector:MaxRetries must be between 0 and 10 (it is {options.MaxRetries}).");
        }

        if (options.FirstRetryDelay <= TimeSpan.Zero || options.FirstRetryDelay > options.MaxRetryDelay)
        {
            failures.Add($"Bot:Connector:FirstRetryDelay must be positive and at most MaxRetryDelay (it is {options.FirstRetryDelay}).");
        }

        if (options.MaxRetryDelay > TimeSpan.FromMinutes(5))
        {
            failures.Add($"Bot:Connector:MaxRetryDelay must be at most 5 minutes (it is {options.MaxRetryDelay}).");
        }

        foreach (var host in options.AllowedServiceUrlHosts.Where(h => !ServiceUrlAllowlist.IsHostEntry(h)))
        {
            failures.Add($"Bot:Connector:AllowedServiceUrlHosts entries must be host names, optionally with ':port' (no scheme or path): '{host}' is not.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
