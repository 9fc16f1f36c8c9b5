using System.Text.Json;
using System.Text.Json.Serialization;

namespace IncidentIo.Domain.Bot.Inbound;

/// <summary>
/// The parts of a Bot Framework activity our bot reads (Teams sends much more; the rest is
/// ignored). Names as on the wire, camelCase.
/// </summary>
public sealed class BotActivity
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string? Type { get; set; }

    public string? Id { get; set; }

    public string? ChannelId { get; set; }

    public string? ServiceUrl { get; set; }

    /// <summary>installationUpdate: <c>add</c>, <c>remove</c> (or <c>add-upgrade</c> / <c>remove-upgrade</c>).</summary>
    public string? Action { get; set; }

    public string? Text { get; set; }

    /// <summary>invoke: what is asked, e.g. <c>adaptiveCard/action</c>.</summary>
    public string? Name { get; set; }

    /// <summary>invoke: its payload (for <c>adaptiveCard/action</c>, the action with the card's data and inputs).</summary>
    public JsonElement? Value { get; set; }

    /// <summary>The activity this one answers: for a card action, the bot's message that holds the card.</summary>
    public string? ReplyToId { get; set; }

    public ChannelAccount? From { get; set; }

    public ChannelAccount? Recipient { get; set; }

    public ConversationAccount? Conversation { get; set; }

    public List<ChannelAccount>? MembersAdded { get; set; }

    public List<ChannelAccount>? MembersRemoved { get; set; }

    public TeamsChannelData? ChannelData { get; set; }

    /// <summary>The tenant the activity belongs to: the conversation's, else channelData's.</summary>
    [JsonIgnore]
    public Guid? TenantId => Guid.TryParse(Conversation?.TenantId ?? ChannelData?.Tenant?.Id, out var id) ? id : null;

    /// <summary>Sent in a team (a channel conversation), as opposed to a personal (1:1) chat.</summary>
    [JsonIgnore]
    public bool IsTeamScope => ChannelData?.Team?.Id is { Length: > 0 } || Conversation?.ConversationType == "channel";

    [JsonIgnore]
    public bool IsPersonalScope => Conversation?.ConversationType == "personal";

    /// <summary>What a request body must at least carry to be an activity we can act on.</summary>
    public string? Problem() =>
        string.IsNullOrWhiteSpace(Type) ? "the activity has no type"
        : !Uri.TryCreate(ServiceUrl, UriKind.Absolute, out var service) || service.Scheme != Uri.UriSchemeHttps ? "the activity has no https serviceUrl"
        : string.IsNullOrWhiteSpace(Conversation?.Id) ? "the activity has no conversation"
        : null;
}

public sealed class ChannelAccount
{
    /// <summary><c>29:…</c> for people, <c>28:{app id}</c> for bots.</summary>
    public string? Id { get; set; }

    public string? Name { get; set; }

    public string? AadObjectId { get; set; }

    [JsonIgnore]
    public Guid? ObjectId => Guid.TryParse(AadObjectId, out var id) ? id : null;
}

public sealed class ConversationAccount
{
    public string? Id { get; set; }

    public string? ConversationType { get; set; }

    public string? TenantId { get; set; }

    public bool? IsGroup { get; set; }
}

public sealed class TeamsChannelData
{
    public string? EventType { get; set; }

    public TeamInfo? Team { get; set; }

    public TenantInfo? Tenant { get; set; }
}

public sealed class TeamInfo
{
    /// <summary>The team's General channel thread id: how Teams names the team to bots.</summary>
    public string? Id { get; set; }

    public string? Name { get; set; }

    /// <summary>The team's Microsoft 365 group id (= Graph team id), when Teams sends it.</summary>
    public string? AadGroupId { get; set; }
}

public sealed class TenantInfo
{
    public string? Id { get; set; }
}
