namespace IncidentIo.Sandbox.BotFramework;

/// <summary>
/// One-to-one conversations between a bot and a user. Teams keeps one per pair: creating it again
/// returns the same id, and the id a bot learns from a personal install is that id too.
/// </summary>
public sealed class ConversationStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, PersonalConversation> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<(string BotAppId, Guid TenantId, Guid UserId), PersonalConversation> _byPair = [];

    public PersonalConversation GetOrCreate(string botAppId, Guid tenantId, Guid userId)
    {
        var key = (botAppId.ToLowerInvariant(), tenantId, userId);
        lock (_gate)
        {
            if (!_byPair.TryGetValue(key, out var conversation))
            {
                conversation = new PersonalConversation(ConnectorIds.NewPersonalConversationId(), key.Item1, tenantId, userId);
                _byPair.Add(key, conversation);
                _byId.Add(conversation.Id, conversation);
            }

            return conversation;
        }
    }

    public PersonalConversation? Find(string id)
    {
        lock (_gate)
        {
            return _byId.GetValueOrDefault(id);
        }
    }
}

/// <summary>A bot's one-to-one chat with a user.</summary>
public sealed record PersonalConversation(string Id, string BotAppId, Guid TenantId, Guid UserId);
