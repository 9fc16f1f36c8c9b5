using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace IncidentIo.Sandbox.BotFramework;

/// <summary>
/// The card a person sees in place of one a bot sent, after pressing its <c>Action.Execute</c> and
/// the bot answering with a card. Teams shows that answer to the person who acted; the others keep
/// the card as sent (Microsoft's TeamsFx calls this default "ReplaceForInteractor"; the bot edits
/// the message when everyone should see a change).
/// https://learn.microsoft.com/javascript/api/@microsoft/teamsfx/teamsfxadaptivecardactionhandler
/// </summary>
public sealed class CardViews
{
    private readonly ConcurrentDictionary<(string ActivityId, Guid UserId), JsonObject> _views = new();

    public void Replace(string activityId, Guid userId, JsonObject card) => _views[(activityId, userId)] = card;

    /// <summary>The card <paramref name="userId"/> sees for the activity, when the bot replaced it for them.</summary>
    public JsonObject? For(string activityId, Guid userId) => _views.GetValueOrDefault((activityId, userId));

    public void Clear() => _views.Clear();
}
