using System.Security.Cryptography;
using System.Text;

namespace IncidentIo.Sandbox.State;

/// <summary>
/// A team. Its id is the Microsoft 365 group's id. A team created through Graph exists at once but
/// is readable only from <see cref="ReadyAt"/>, when its create operation succeeds; a failed
/// creation never becomes readable.
/// </summary>
public sealed record Team(
    Guid Id,
    Guid TenantId,
    string DisplayName,
    string? Description,
    string Visibility,
    DateTimeOffset CreatedDateTime,
    bool IsArchived,
    DateTimeOffset ReadyAt,
    bool CreationFailed = false)
{
    /// <summary>The General channel's thread id, which bots also see as the team id.</summary>
    public string GeneralChannelId => TeamsIds.ThreadId(Id, "general");

    public bool IsReadyAt(DateTimeOffset now) => !CreationFailed && now >= ReadyAt;
}

/// <summary>A channel; the team's General channel is its primary one.</summary>
public sealed record Channel(string Id, Guid TeamId, string DisplayName, string? Description, DateTimeOffset CreatedDateTime, bool IsPrimary);

/// <summary>A channel tab pinned for a catalog app.</summary>
public sealed record ChannelTab(string Id, Guid TeamId, string ChannelId, string DisplayName, Guid TeamsAppId, TabConfiguration Configuration);

/// <summary>A tab's configuration, as the app's configuration page saved it.</summary>
public sealed record TabConfiguration(string? EntityId, string? ContentUrl, string? WebsiteUrl, string? RemoveUrl);

/// <summary>A user's membership of a team; <see cref="IsOwner"/> gives the <c>owner</c> role.</summary>
public sealed record TeamMember(Guid TeamId, Guid UserId, bool IsOwner)
{
    /// <summary>Opaque, like Graph's conversation member ids.</summary>
    public string MembershipId => TeamsIds.Opaque($"0#{TeamId}#{UserId}");
}

/// <summary>
/// How an app reached a tenant's catalog: Graph's <c>teamsAppDistributionMethod</c>
/// (<see href="https://learn.microsoft.com/en-us/graph/api/resources/teamsapp"/>).
/// </summary>
public static class TeamsAppDistribution
{
    /// <summary>From the Teams Store: the catalog id is the manifest id, <c>externalId</c> is empty.</summary>
    public const string Store = "store";

    /// <summary>Uploaded to the tenant's own catalog: a catalog id of its own, <c>externalId</c> = manifest id.</summary>
    public const string Organization = "organization";

    /// <summary>Uploaded by a user for a team or themselves: like <see cref="Organization"/> for ids.</summary>
    public const string Sideloaded = "sideloaded";

    public static readonly IReadOnlyList<string> All = [Store, Organization, Sideloaded];

    /// <summary>The canonical spelling of <paramref name="value"/>, or null when it is none of <see cref="All"/>.</summary>
    public static string? Parse(string? value) => All.FirstOrDefault(d => string.Equals(d, value?.Trim(), StringComparison.OrdinalIgnoreCase));
}

/// <summary>
/// An app in a tenant's catalog. <see cref="Id"/> is the catalog id Graph binds to;
/// <see cref="ManifestId"/> is the manifest's <c>id</c>, which Graph shows as <see cref="ExternalId"/>
/// except for Store apps, whose catalog id is the manifest id and whose <c>externalId</c> is empty
/// (<see href="https://learn.microsoft.com/en-us/graph/api/resources/teamsapp"/>,
/// <see href="https://learn.microsoft.com/en-us/graph/api/appcatalogs-list-teamsapps"/>).
/// </summary>
public sealed record CatalogApp(Guid Id, Guid TenantId, string ManifestId, string DisplayName, string Version, string DistributionMethod, string? BotId)
{
    /// <summary>Graph's <c>externalId</c>: null for Store apps.</summary>
    public string? ExternalId => DistributionMethod == TeamsAppDistribution.Store ? null : ManifestId;

    /// <summary>
    /// The manifest's <c>webApplicationInfo.id</c>: the Entra app that "Self" installation
    /// permissions let manage this app. Null: any caller may (the Sandbox cannot tell).
    /// </summary>
    public string? AzureAdAppId { get; init; }

    /// <summary>The manifest's configurable tab <c>configurationUrl</c>: the page Teams opens to add the app as a channel tab.</summary>
    public string? ConfigurationUrl { get; init; }

    /// <summary>
    /// The manifest's <c>authorization.permissions.resourceSpecific</c>: the resource-specific
    /// consent (RSC) permissions an install must consent to (see <c>TeamsAppConsent</c>).
    /// </summary>
    public IReadOnlyList<RscEntry> ResourceSpecificPermissions { get; init; } = [];

    /// <summary>The id of the published definition (one per version).</summary>
    public string DefinitionId => TeamsIds.Opaque($"{Id}##{Version}##Published");
}

/// <summary>One RSC permission of an app definition: its name and <c>Application</c> or <c>Delegated</c>.</summary>
public sealed record RscEntry(string Name, string Type)
{
    public bool IsApplication => string.Equals(Type, "Application", StringComparison.OrdinalIgnoreCase);
}

public enum InstallationScope
{
    Team,
    User,
}

/// <summary>
/// An app installed in a team or for one user (personal scope). <see cref="TargetId"/> is the team
/// id or the user id. A personal install for a user who never opened Teams is
/// <see cref="AwaitingTeamsClient"/> until they do: no 1:1 chat exists yet.
/// </summary>
public sealed record AppInstallation(string Id, InstallationScope Scope, Guid TenantId, Guid TargetId, Guid TeamsAppId, DateTimeOffset InstalledAt, bool AwaitingTeamsClient = false)
{
    /// <summary>The personal chat between the user and the app's bot.</summary>
    public string ChatIdFor(CatalogApp app) => $"19:{TargetId}_{app.BotId ?? app.ManifestId}@unq.gbl.spaces";
}

public enum TeamsOperationStatus
{
    NotStarted,
    InProgress,
    Succeeded,
    Failed,
}

/// <summary>
/// A team's create operation. Its status is read off the clock: not started until
/// <see cref="StartsAt"/>, in progress until <see cref="EndsAt"/>, then succeeded or failed.
/// </summary>
public sealed record TeamsOperation(Guid Id, Guid TeamId, Guid TenantId, DateTimeOffset CreatedDateTime, DateTimeOffset StartsAt, DateTimeOffset EndsAt, TeamsOperationError? Error)
{
    public TeamsOperationStatus StatusAt(DateTimeOffset now) =>
        now < StartsAt ? TeamsOperationStatus.NotStarted
        : now < EndsAt ? TeamsOperationStatus.InProgress
        : Error is null ? TeamsOperationStatus.Succeeded : TeamsOperationStatus.Failed;

    public DateTimeOffset LastActionAt(DateTimeOffset now) => StatusAt(now) switch
    {
        TeamsOperationStatus.NotStarted => CreatedDateTime,
        TeamsOperationStatus.InProgress => StartsAt,
        _ => EndsAt,
    };
}

/// <summary>Why a team's creation failed, as the operation's <c>error</c> reports it.</summary>
public sealed record TeamsOperationError(string Code, string Message);

/// <summary>What an install for a user who never opened Teams does (public material does not say).</summary>
public enum NeverOpenedTeamsInstall
{
    /// <summary>201, but the install waits for the user's first Teams sign-in: no chat, no bot events until then.</summary>
    Deferred,

    /// <summary>404 <c>NotFound</c> "Not Found", as some proactive installs report without explanation.</summary>
    NotFound,

    /// <summary>Installed at once, as for anyone else.</summary>
    Immediate,
}

/// <summary>Per-tenant Teams behaviour that tests and demos change.</summary>
public sealed record TeamsTenantSettings
{
    /// <summary>How long a team's create operation stays <c>notStarted</c>.</summary>
    public TimeSpan CreateTeamNotStartedFor { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long it then stays <c>inProgress</c> before it succeeds or fails.</summary>
    public TimeSpan CreateTeamInProgressFor { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>When set, every team creation in the tenant fails with this error.</summary>
    public TeamsOperationError? CreateTeamFailure { get; init; }

    /// <summary>Page size of <c>/teams/{id}/members</c> without <c>$top</c>; null returns one page.</summary>
    public int? MembersPageSize { get; init; }

    public NeverOpenedTeamsInstall NeverOpenedTeamsInstall { get; init; } = NeverOpenedTeamsInstall.Deferred;

    /// <summary>
    /// Whether a user our app is blocked for by policy is also out of reach through a team with our
    /// bot. Microsoft does not document it; off, the documented rule (member of a team with the app) holds.
    /// </summary>
    public bool PolicyBlockStopsTeamRoute { get; init; }
}

/// <summary>What changed in Teams, for observers such as the bot channel.</summary>
public enum TeamsChangeKind
{
    TeamCreated,
    AppInstalledInTeam,
    AppRemovedFromTeam,
    AppInstalledForUser,
    AppRemovedForUser,
    MemberAdded,
    MemberRemoved,
}

/// <summary>One change. <see cref="TeamId"/> is set for team changes, <see cref="UserId"/> for member and personal changes.</summary>
public sealed class TeamsChangedEventArgs(TeamsChangeKind kind, Guid tenantId, Guid? teamId, Guid? userId, Guid? teamsAppId, string? installationId) : EventArgs
{
    public TeamsChangeKind Kind { get; } = kind;

    public Guid TenantId { get; } = tenantId;

    public Guid? TeamId { get; } = teamId;

    public Guid? UserId { get; } = userId;

    public Guid? TeamsAppId { get; } = teamsAppId;

    public string? InstallationId { get; } = installationId;

    public override string ToString() => $"{Kind} tenant={TenantId} team={TeamId} user={UserId} app={TeamsAppId}";
}

/// <summary>Ids in the shapes Teams uses, derived deterministically from their inputs.</summary>
public static class TeamsIds
{
    /// <summary>A <c>19:…@thread.tacv2</c> channel thread id.</summary>
    public static string ThreadId(Guid teamId, string name) => $"19:{Hash(teamId + "/" + name)[..32]}@thread.tacv2";

    /// <summary>A base64 id like Graph's installation and membership ids.</summary>
    public static string Opaque(string value) => Convert.ToBase64String(Encoding.UTF8.GetBytes(value));

    /// <summary>A name-based GUID, so catalog ids are stable across runs.</summary>
    public static Guid NameGuid(string name)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(name)).AsSpan(0, 16).ToArray();
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }

    private static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)));
}
