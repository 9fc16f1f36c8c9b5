namespace IncidentIo.Sandbox.Throttling;

/// <summary>
/// Graph throttling: token buckets per app and tenant (and per app, tenant and team), one per
/// operation class. Defaults are Microsoft's published Teams service limits (requests per second,
/// per app per tenant); see README.md. Everything the facts do not give is configurable here.
/// </summary>
public sealed class ThrottlingOptions
{
    /// <summary>Off: no request is ever throttled (faults still apply). Switchable at run time.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Operation classes, first match wins. A request no rule matches is in the global class.</summary>
    public IReadOnlyList<ThrottleRule> Rules { get; init; } = ThrottleRule.TeamsDefaults;

    /// <summary>Any request under <c>/teams/{teamId}</c>: at most this many per second per app on one team; 0 = no per-team limit.</summary>
    public double PerTeamPerSecond { get; init; } = 4;

    /// <summary>The global class (every other Graph call), per app across all tenants: 130,000 per 10 s.</summary>
    public double GlobalPerAppPerSecond { get; init; } = 13_000;
}

/// <summary>Who shares a bucket: one app in one tenant, or one app across all tenants.</summary>
public enum ThrottleScope
{
    AppInTenant,
    App,
}

/// <summary>
/// One operation class: <paramref name="Method"/> (<c>*</c> = any) and a Graph path pattern after
/// <c>/v1.0</c>, where <c>{name}</c> matches one segment and a final <c>**</c> any rest (or nothing).
/// <paramref name="AcrossTenantsPerSecond"/> is the class's second limit, per app over all tenants. A limit of 0 means none.
/// </summary>
public sealed record ThrottleRule(string Name, string Method, string Pattern, double PerSecond, double AcrossTenantsPerSecond = 0, ThrottleScope Scope = ThrottleScope.AppInTenant)
{
    /// <summary>The Teams rows of "Microsoft Graph service-specific throttling limits": per app per tenant, per app across tenants.</summary>
    public static readonly IReadOnlyList<ThrottleRule> TeamsDefaults =
    [
        new("GET team members", "GET", "/teams/{teamId}/members", 60, 1200),
        new("POST team members", "POST", "/teams/{teamId}/members", 30, 300),
        new("POST installedApps (user)", "POST", "/users/{userId}/teamwork/installedApps", 30, 300),
        new("POST installedApps (team)", "POST", "/teams/{teamId}/installedApps", 30, 300),
        new("POST installedApps (chat)", "POST", "/chats/{chatId}/installedApps", 30, 300),
        new("DELETE installedApps (user)", "DELETE", "/users/{userId}/teamwork/installedApps/{id}", 15, 150),
        new("DELETE installedApps (team)", "DELETE", "/teams/{teamId}/installedApps/{id}", 15, 150),
        new("GET installedApps (user)", "GET", "/users/{userId}/teamwork/installedApps", 30, 600),
        new("GET installedApps (user) item", "GET", "/users/{userId}/teamwork/installedApps/**", 30, 600),
        new("GET installedApps (team)", "GET", "/teams/{teamId}/installedApps", 30, 600),
        new("POST teams (create)", "POST", "/teams", 10, 100),
        new("GET channels", "GET", "/teams/{teamId}/channels", 60, 1200),
        new("POST channel", "POST", "/teams/{teamId}/channels", 30, 300),
        new("POST tab", "POST", "/teams/{teamId}/channels/{channelId}/tabs", 30, 300),
        new("GET team", "GET", "/teams/{teamId}", 30, 600),
        new("GET joinedTeams", "GET", "/users/{userId}/joinedTeams", 30, 300),
        new("PATCH team", "PATCH", "/teams/{teamId}", 30, 300),
        new("GET appCatalogs", "GET", "/appCatalogs/**", 30, 600),
        new("other GET Teams calls", "GET", "/teams/**", 30, 1500),
        new("other GET Teams calls (chats)", "GET", "/chats/**", 30, 1500),
        new("other Teams calls", "*", "/teams/**", 30, 300),
        new("other Teams calls (chats)", "*", "/chats/**", 30, 300),
    ];
}
