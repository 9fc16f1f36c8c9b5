namespace IncidentIo.Domain.People;

/// <summary>
/// The read of one team's members after our app arrived in it, kept in the database so a read that
/// stopped (a worker killed, a lost job) goes on from the page it reached: one row per team of an
/// organisation, reused by the next read.
/// </summary>
public sealed class TeamRosterRead
{
    public const int NameMaxLength = 256;
    public const int NextLinkMaxLength = 2000;
    public const int TriggerMaxLength = 40;
    public const int OwnerMaxLength = 200;
    public const int ErrorMaxLength = 2000;

    public Guid Id { get; set; } = Guid.NewGuid();

    public Guid OrganizationId { get; set; }

    /// <summary>The team's Graph id.</summary>
    public Guid TeamId { get; set; }

    public required string TeamName { get; set; }

    public RosterReadState State { get; set; }

    /// <summary>What asked for this read: "bot-installed", "automatic-install", "team-install", "permissions-granted".</summary>
    public required string Trigger { get; set; }

    public DateTimeOffset RequestedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>Graph's link to the next page not read yet; null before the first page and after the last.</summary>
    public string? NextLink { get; set; }

    public int PagesRead { get; set; }

    public int MembersSeen { get; set; }

    /// <summary>People this read made known (new Viewers).</summary>
    public int PeopleAdded { get; set; }

    public int GraphRequests { get; set; }

    /// <summary>The worker reading it, until <see cref="LeaseUntil"/>; after that another may take over.</summary>
    public string? LeaseOwner { get; set; }

    public DateTimeOffset? LeaseUntil { get; set; }

    public string? LastError { get; set; }
}

public enum RosterReadState
{
    /// <summary>Asked for; a job will read it.</summary>
    Pending = 0,
    Reading = 1,
    Done = 2,

    /// <summary>Microsoft refused or kept failing; the sweep's full read or the next request tries again.</summary>
    Failed = 3,
}
