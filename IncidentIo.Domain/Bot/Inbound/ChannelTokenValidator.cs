using System.Text.Json;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.TeamsApp;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace IncidentIo.Domain.Bot.Inbound;

/// <summary>
/// Proves that a request to our messaging endpoint comes from the Bot Framework channel for our
/// bot, as Microsoft's bot authentication documents it: an RS256 JWT signed by a key the channel's
/// OpenID metadata publishes, <c>iss</c> = <c>Bot:ChannelIssuer</c>, <c>aud</c> = our bot id, within
/// its lifetime (with <c>Bot:ClockSkew</c>); then, once the body is read, that the key is endorsed
/// for the activity's <c>channelId</c> and that the token's <c>serviceurl</c> is the activity's.
/// IdentityModel checks none of the last two: they are done here.
/// </summary>
public sealed class ChannelTokenValidator(
    IHttpClientFactory clients,
    IOptions<BotOptions> bot,
    IOptions<TeamsAppOptions> teamsApp,
    TimeProvider clock,
    ILogger<ChannelTokenValidator> logger) : IDisposable
{
    private readonly SemaphoreSlim fetching = new(1, 1);
    private volatile ChannelKeySet? keys;

    /// <summary>The signature, issuer, audience and lifetime: everything that needs no body.</summary>
    public async Task<ChannelTokenCheck> ValidateAsync(string? authorization, CancellationToken cancellationToken)
    {
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || authorization.Length <= 7)
        {
            return ChannelTokenCheck.Refused(401, "no bearer token");
        }

        var raw = authorization[7..].Trim();
        JsonWebToken token;
        try
        {
            token = new JsonWebToken(raw);
        }
        catch (ArgumentException)
        {
            return ChannelTokenCheck.Refused(401, "not a JWT");
        }

        if (string.IsNullOrEmpty(token.Kid))
        {
            return ChannelTokenCheck.Refused(401, "the token names no signing key");
        }

        ChannelKey? key;
        try
        {
            key = await FindKeyAsync(token.Kid, cancellationToken);
        }
        catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Not the caller's fault and nothing was done: Microsoft retries a 5xx later.
            logger.LogError(error, "The Bot Framework channel's OpenID metadata ({Url}) could not be read", bot.Value.OpenIdMetadataUrl);
            return ChannelTokenCheck.Refused(503, "the channel's signing keys could not be read");
        }

        if (key is null)
        {
            return ChannelTokenCheck.Refused(401, $"key {token.Kid} is not published by the channel");
        }

        var settings = bot.Value;
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(raw, new TokenValidationParameters
        {
            ValidIssuer = settings.ChannelIssuer,
            ValidAudience = teamsApp.Value.BotId,
            IssuerSigningKey = key.Key,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            ValidateIssuerSigningKey = true,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            TryAllIssuerSigningKeys = false,
            ClockSkew = settings.ClockSkew,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
        });
        return result.IsValid
            ? new ChannelTokenCheck(200, null, (JsonWebToken)result.SecurityToken, key.Endorsements)
            : ChannelTokenCheck.Refused(401, $"{result.Exception?.GetType().Name}: {result.Exception?.Message}");
    }

    /// <summary>
    /// The checks that need the activity. A key the channel does not endorse for this activity's
    /// channel is answered 403, as Microsoft's documentation has it: the token itself was genuine
    /// (signed by the channel), but not for this channel. Everything else is 401.
    /// </summary>
    public const string TeamsChannelId = "msteams";

    public static ChannelTokenCheck Admit(ChannelTokenCheck token, BotActivity activity)
    {
        if (activity.ChannelId is not { Length: > 0 } channel || !token.Endorsements.Contains(channel, StringComparer.OrdinalIgnoreCase))
        {
            return ChannelTokenCheck.Refused(403, $"the signing key is not endorsed for channel '{activity.ChannelId}'");
        }

        // An Azure Bot resource has Web Chat (and can have Direct Line and others) on beside Teams, and the
        // channel service signs for all of them with the same keys. Only Teams' activities carry a tenant
        // and team we can trust (channelData.tenant.id), so every other channel is refused, genuine or not.
        // Teams' channel id is "msteams": https://learn.microsoft.com/microsoftteams/platform/bots/how-to/conversations/conversation-basics
        if (!string.Equals(channel, TeamsChannelId, StringComparison.Ordinal))
        {
            return ChannelTokenCheck.Refused(403, $"only Microsoft Teams activities are served, not channel '{channel}'");
        }

        if (!token.Token!.TryGetPayloadValue<string>("serviceurl", out var serviceUrl) || !string.Equals(serviceUrl, activity.ServiceUrl, StringComparison.Ordinal))
        {
            return ChannelTokenCheck.Refused(401, "the token's serviceurl is not the activity's serviceUrl");
        }

        return token;
    }

    /// <summary>The published key with that id; an unknown id reads the metadata again (at most every <c>Bot:KeyRefreshMinInterval</c>).</summary>
    private async Task<ChannelKey?> FindKeyAsync(string keyId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var known = keys;
        if (known is not null && now - known.FetchedAt < bot.Value.MetadataLifetime && known.Keys.TryGetValue(keyId, out var cached))
        {
            return cached;
        }

        await fetching.WaitAsync(cancellationToken);
        try
        {
            known = keys;
            if (known is not null && known.Keys.TryGetValue(keyId, out cached) && now - known.FetchedAt < bot.Value.MetadataLifetime)
            {
                return cached;
            }

            // An unknown key id must not make every request fetch again (anyone can send one).
            if (known is null || now - known.FetchedAt >= bot.Value.KeyRefreshMinInterval)
            {
                try
                {
                    known = keys = await FetchAsync(cancellationToken);
                }
                catch when (known is not null && now - known.FetchedAt < bot.Value.MetadataLifetime * 2)
                {
                    logger.LogWarning("The channel's OpenID metadata could not be refreshed; keeping the keys read at {FetchedAt}", known.FetchedAt);
                }
            }

            return known.Keys.GetValueOrDefault(keyId);
        }
        finally
        {
            fetching.Release();
        }
    }

    private async Task<ChannelKeySet> FetchAsync(CancellationToken cancellationToken)
    {
        var http = clients.CreateClient(MicrosoftHttp.ClientName);
        using var metadata = JsonDocument.Parse(await http.GetStringAsync(bot.Value.OpenIdMetadataUrl, cancellationToken));
        var jwksUri = metadata.RootElement.TryGetProperty("jwks_uri", out var uri) ? uri.GetString() : null;
        if (!Uri.TryCreate(jwksUri, UriKind.Absolute, out var jwks) || jwks.Scheme != Uri.UriSchemeHttps)
        {
            throw new InvalidOperationException($"The channel's OpenID metadata has no https jwks_uri ('{jwksUri}').");
        }

        using var set = JsonDocument.Parse(await http.GetStringAsync(jwks, cancellationToken));
        var found = new Dictionary<string, ChannelKey>(StringComparer.Ordinal);
        foreach (var element in set.RootElement.GetProperty("keys").EnumerateArray())
        {
            if (element.TryGetProperty("kid", out var kid) && kid.GetString() is { Length: > 0 } id)
            {
                var endorsements = element.TryGetProperty("endorsements", out var list) && list.ValueKind == JsonValueKind.Array
                    ? list.EnumerateArray().Select(e => e.GetString() ?? "").ToArray()
                    : [];
                found[id] = new ChannelKey(new JsonWebKey(element.GetRawText()), endorsements);
            }
        }

        logger.LogInformation("Read {Count} Bot Framework channel signing keys from {Url}", found.Count, jwks);
        return new ChannelKeySet(found, clock.GetUtcNow());
    }

    public void Dispose() => fetching.Dispose();

    private sealed record ChannelKey(JsonWebKey Key, IReadOnlyList<string> Endorsements);

    private sealed record ChannelKeySet(IReadOnlyDictionary<string, ChannelKey> Keys, DateTimeOffset FetchedAt);
}

/// <summary>The outcome of checking a channel token: 200 with the token and its key's endorsements, or the status to refuse with and why.</summary>
public sealed record ChannelTokenCheck(int Status, string? Failure, JsonWebToken? Token, IReadOnlyList<string> Endorsements)
{
    public bool IsValid => Failure is null;

    public static ChannelTokenCheck Refused(int status, string why) => new(status, why, null, []);
}
