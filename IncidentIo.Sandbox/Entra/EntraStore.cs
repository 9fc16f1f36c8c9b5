using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.WebUtilities;

namespace IncidentIo.Sandbox.Entra;

/// <summary>
/// Short-lived sign-in state: browser sessions (the account tiles), interactive requests waiting
/// for sign-in or consent, authorization codes and refresh tokens.
/// </summary>
public sealed class EntraStore
{
    private readonly ConcurrentDictionary<string, BrowserSession> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, PendingRequest> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, AuthorizationCode> _codes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _redeemedCodes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, RefreshGrant> _refreshTokens = new(StringComparer.Ordinal);

    public static string NewHandle() => WebEncoders.Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    public BrowserSession? Session(string? id) => id is null ? null : _sessions.GetValueOrDefault(id);

    public void Save(BrowserSession session) => _sessions[session.Id] = session;

    public void EndSession(string id) => _sessions.TryRemove(id, out _);

    public PendingRequest? Pending(string? id) => id is null ? null : _pending.GetValueOrDefault(id);

    public void Save(PendingRequest request) => _pending[request.Id] = request;

    public void Finish(PendingRequest request) => _pending.TryRemove(request.Id, out _);

    public void Save(AuthorizationCode code)
    {
        // Codes nobody redeemed would pile up: drop the long-expired ones as new ones arrive.
        foreach (var stale in _codes.Values.Where(c => c.ExpiresAt < code.ExpiresAt.AddHours(-1)))
        {
            _codes.TryRemove(stale.Code, out _);
        }

        _codes[code.Code] = code;
    }

    /// <summary>Takes a code out for redemption; a code can be taken once.</summary>
    public CodeRedemption Redeem(string code)
    {
        if (_codes.TryRemove(code, out var found))
        {
            _redeemedCodes[code] = 0;
            return new CodeRedemption(found, AlreadyRedeemed: false);
        }

        return new CodeRedemption(null, _redeemedCodes.ContainsKey(code));
    }

    public void Save(RefreshGrant grant) => _refreshTokens[grant.Token] = grant;

    public RefreshGrant? RefreshToken(string token) => _refreshTokens.GetValueOrDefault(token);
}

/// <summary>The Sandbox's sign-in cookie: accounts signed in on this browser, and the active one.</summary>
public sealed record BrowserSession(string Id, IReadOnlyList<Guid> Accounts, Guid? ActiveUserId);

public enum RequestKind
{
    Authorize,
    AdminConsent,
    AdminConsentV1,
}

/// <summary>A validated authorize or admin-consent request waiting for the user.</summary>
public sealed record PendingRequest
{
    public required string Id { get; init; }

    public required RequestKind Kind { get; init; }

    /// <summary>The <c>{tenant}</c> path segment: common, organizations, a GUID or a domain.</summary>
    public required string TenantSegment { get; init; }

    public required string ClientId { get; init; }

    public required string RedirectUri { get; init; }

    public string ResponseMode { get; init; } = "query";

    public string? State { get; init; }

    public string? Nonce { get; init; }

    public string? Scope { get; init; }

    public string? CodeChallenge { get; init; }

    public string? CodeChallengeMethod { get; init; }

    public string? Prompt { get; init; }

    public string? LoginHint { get; init; }

    /// <summary>Set once the user has signed in on this request's page (satisfies prompt=login).</summary>
    public bool SignedInHere { get; init; }

    /// <summary>Set once the consent screen was accepted for this request (satisfies prompt=consent).</summary>
    public bool ConsentedHere { get; init; }
}

public sealed record AuthorizationCode(
    string Code,
    string ClientId,
    string RedirectUri,
    Guid TenantId,
    Guid UserId,
    string? Scope,
    string? Nonce,
    string? CodeChallenge,
    string? CodeChallengeMethod,
    DateTimeOffset ExpiresAt);

public sealed record CodeRedemption(AuthorizationCode? Code, bool AlreadyRedeemed);

public sealed record RefreshGrant(string Token, string ClientId, Guid TenantId, Guid UserId);
