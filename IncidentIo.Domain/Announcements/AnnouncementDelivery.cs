namespace IncidentIo.Domain.Announcements;

/// <summary>
/// One message the bot sends for an incident update: a card to a channel, or the DM to the
/// incident's lead. Unique per update and target, so a channel named by two rules gets one post.
/// </summary>
public sealed class AnnouncementDelivery
{
    public const int TargetMaxLength = 220;
    public const int TargetNameMaxLength = 300;
    public const int ErrorMaxLength = 2000;

    public Guid Id { get; set; } = Guid.NewGuid();

    public Guid OrganizationId { get; set; }

    public Guid IncidentId { get; set; }

    public Guid IncidentUpdateId { get; set; }

    public DeliveryKind Kind { get; set; }

    /// <summary>What makes the delivery unique per update: the channel's conversation id, or <c>user:&lt;id&gt;</c> for a DM.</summary>
    public required string Target { get; set; }

    /// <summary>For people: the channel ("Team › Channel") or the person's name.</summary>
    public required string TargetName { get; set; }

    /// <summary>Where the channel's connector is; for a DM, taken from the organisation when sending.</summary>
    public string? ServiceUrl { get; set; }

    /// <summary>The conversation posted to: the channel, or the lead's 1:1 chat once known.</summary>
    public string? ConversationId { get; set; }

    /// <summary>For a DM: the person it is for.</summary>
    public Guid? RecipientUserId { get; set; }

    public DeliveryState State { get; set; } = DeliveryState.Pending;

    public int Attempts { get; set; }

    /// <summary>When to try (or, waiting for an install, look) again; null when nothing is due.</summary>
    public DateTimeOffset? NextAttemptAt { get; set; }

    /// <summary>The worker sending it (see <see cref="DeliveryState.Sending"/>); it renews its hold while the send lasts.</summary>
    public string? LeaseOwner { get; set; }

    /// <summary>A worker sending holds the delivery until then (see <see cref="DeliveryState.Sending"/>).</summary>
    public DateTimeOffset? LeaseUntil { get; set; }

    /// <summary>Since when a DM waits for the lead's install: installation results older than that are not its answer.</summary>
    public DateTimeOffset? WaitingSince { get; set; }

    public string? ActivityId { get; set; }

    public DateTimeOffset? SentAt { get; set; }

    public int? LastStatus { get; set; }

    public string? LastErrorCode { get; set; }

    /// <summary>What went wrong, or why the person cannot be reached, in words for an admin.</summary>
    public string? LastError { get; set; }

    /// <summary>Microsoft's correlation id of the failed call, for their support.</summary>
    public string? CorrelationId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}

public enum DeliveryKind
{
    ChannelCard = 0,
    LeadMessage = 1,
}

public enum DeliveryState
{
    Pending = 0,

    /// <summary>Claimed by a worker until <see cref="AnnouncementDelivery.LeaseUntil"/>; the post may be in flight.</summary>
    Sending = 1,
    Sent = 2,

    /// <summary>Failed; tried again at <see cref="AnnouncementDelivery.NextAttemptAt"/>, or never when that is null.</summary>
    Failed = 3,

    /// <summary>A DM whose recipient does not have our app yet: an install was requested.</summary>
    WaitingForInstall = 4,

    /// <summary>A DM whose recipient cannot have our app (blocked by policy, never opened Teams, failed); see the error.</summary>
    Unreachable = 5,

    /// <summary>A worker stopped mid-send: the post may or may not exist. Never resent by itself; an admin may send it again.</summary>
    OutcomeUnknown = 6,

    /// <summary>Not sent: the channel is not one Teams lists for the rule's team (any more). See the error.</summary>
    Skipped = 7,
}
