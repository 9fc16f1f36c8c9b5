using System.Text.Json.Nodes;
using IncidentIo.Sandbox.Entra;

namespace IncidentIo.Sandbox.BotFramework;

/// <summary>
/// The keys the Bot Framework channel signs activities with, separate from Entra's. Each published
/// key lists the channels it is endorsed for, as <c>login.botframework.com</c>'s JWKS does; a bot
/// must refuse an <c>msteams</c> activity signed by a key that does not list <c>msteams</c>.
/// </summary>
public sealed class ChannelKeys : IDisposable
{
    /// <summary>What the Sandbox's keys are endorsed for unless a test says otherwise.</summary>
    public static readonly IReadOnlyList<string> DefaultEndorsements = ["msteams", "webchat", "directline", "skype", "emulator"];

    private readonly SigningKeys _keys = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<string, IReadOnlyList<string>> _endorsements = [];

    public ChannelKeys() => _endorsements[_keys.Current.KeyId] = DefaultEndorsements;

    /// <summary>The key new activities are signed with.</summary>
    public SigningKey Current => _keys.Current;

    /// <summary>Adds a signing key endorsed for the given channels (all defaults when none given); older keys stay published.</summary>
    public SigningKey Rotate(params string[] endorsements)
    {
        // One lock over both, so the JWKS never shows the new key without its endorsements.
        lock (_gate)
        {
            var key = _keys.Rotate();
            _endorsements[key.KeyId] = endorsements.Length > 0 ? endorsements : DefaultEndorsements;
            return key;
        }
    }

    public bool Retire(string keyId) => _keys.Retire(keyId);

    public IReadOnlyList<string> EndorsementsOf(string keyId)
    {
        lock (_gate)
        {
            return _endorsements.GetValueOrDefault(keyId) ?? [];
        }
    }

    /// <summary>The JWKS: RSA keys with their <c>endorsements</c>, no per-key issuer.</summary>
    public JsonObject ToJwks()
    {
        lock (_gate)
        {
            var jwks = _keys.ToJwks("");
            foreach (var key in jwks["keys"]!.AsArray().OfType<JsonObject>())
            {
                key.Remove("issuer");
                key["endorsements"] = new JsonArray([.. _endorsements.GetValueOrDefault(key["kid"]!.GetValue<string>(), []).Select(e => JsonValue.Create(e))]);
            }

            return jwks;
        }
    }

    public void Dispose() => _keys.Dispose();
}
