using System.Text.Json.Nodes;

namespace IncidentIo.Sandbox.BotFramework;

/// <summary>Every activity bots sent through the connector, in order, for tests and the control API.</summary>
public sealed class ActivityLog
{
    private readonly Lock _gate = new();
    private readonly List<SentActivity> _items = [];

    public void Add(SentActivity activity)
    {
        lock (_gate)
        {
            _items.Add(activity);
        }
    }

    /// <summary>
    /// Replaces a sent activity (same id, conversation and sender) with its edited content; false
    /// when that conversation has no such activity from that bot.
    /// </summary>
    public bool Replace(string botAppId, string conversationId, string activityId, Func<SentActivity, SentActivity> edit)
    {
        var thread = ConnectorIds.Thread(conversationId);
        lock (_gate)
        {
            var index = _items.FindIndex(a => a.Id == activityId
                && string.Equals(a.BotAppId, botAppId, StringComparison.OrdinalIgnoreCase)
                && string.Equals(ConnectorIds.Thread(a.ConversationId), thread, StringComparison.OrdinalIgnoreCase));
            if (index < 0)
            {
                return false;
            }

            _items[index] = edit(_items[index]);
            return true;
        }
    }

    public IReadOnlyList<SentActivity> All()
    {
        lock (_gate)
        {
            return [.. _items];
        }
    }

    /// <summary>The activities sent to one conversation (thread id, or 1:1 id), replies included.</summary>
    public IReadOnlyList<SentActivity> For(string conversationId)
    {
        var thread = ConnectorIds.Thread(conversationId);
        lock (_gate)
        {
            return [.. _items.Where(a => string.Equals(ConnectorIds.Thread(a.ConversationId), thread, StringComparison.OrdinalIgnoreCase))];
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _items.Clear();
        }
    }
}

/// <summary>
/// One activity a bot sent: where, when, what. <see cref="Activity"/> is the body as posted;
/// <see cref="UserId"/> is set for one-to-one conversations, <see cref="TeamId"/> for channels.
/// </summary>
public sealed record SentActivity(
    string Id,
    string BotAppId,
    string ConversationId,
    Guid? TenantId,
    Guid? UserId,
    string? TeamId,
    DateTimeOffset Timestamp,
    string Type,
    string? Text,
    JsonArray? Attachments,
    string? ReplyToId,
    JsonObject Activity);
