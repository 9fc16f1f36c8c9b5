using System.Security.Cryptography;
using Microsoft.AspNetCore.WebUtilities;

namespace IncidentIo.Sandbox.BotFramework;

/// <summary>
/// The id formats Teams uses with bots: <c>29:…</c> users, <c>28:{appId}</c> bots, <c>a:…</c>
/// one-to-one conversations and <c>19:…@thread.tacv2</c> channel threads. Teams' user ids are
/// opaque; the Sandbox's encode tenant and object id so they can be resolved without a table.
/// </summary>
public static class ConnectorIds
{
    /// <summary>The Teams user id of a directory user: stable, opaque-looking, reversible.</summary>
    public static string UserId(Guid tenantId, Guid aadObjectId)
    {
        var bytes = new byte[32];
        tenantId.TryWriteBytes(bytes.AsSpan(0, 16));
        aadObjectId.TryWriteBytes(bytes.AsSpan(16, 16));
        return $"29:1{WebEncoders.Base64UrlEncode(bytes)}";
    }

    /// <summary>Reads a <c>29:</c> id made by <see cref="UserId"/>.</summary>
    public static bool TryParseUserId(string? id, out Guid tenantId, out Guid aadObjectId)
    {
        tenantId = aadObjectId = Guid.Empty;
        if (id is null || !id.StartsWith("29:1", StringComparison.Ordinal))
        {
            return false;
        }

        byte[] bytes;
        try
        {
            bytes = WebEncoders.Base64UrlDecode(id[4..]);
        }
        catch (FormatException)
        {
            return false;
        }

        if (bytes.Length != 32)
        {
            return false;
        }

        tenantId = new Guid(bytes.AsSpan(0, 16));
        aadObjectId = new Guid(bytes.AsSpan(16, 16));
        return true;
    }

    public static string BotId(string appId) => $"28:{appId}";

    /// <summary>A new channel thread id, e.g. for a team's General channel.</summary>
    public static string NewThreadId() => $"19:{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}@thread.tacv2";

    /// <summary>A new one-to-one conversation id.</summary>
    public static string NewPersonalConversationId() => $"a:1{WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(48))}";

    /// <summary>The thread part of a conversation id: channel replies carry <c>;messageid=…</c>.</summary>
    public static string Thread(string conversationId) =>
        conversationId.Split(';', 2)[0];
}
