using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;

namespace IncidentIo.Sandbox.Entra;

/// <summary>
/// The RSA keys tokens are signed with. Rotation works like Entra's: a new key becomes the signing
/// key while older ones stay published in the JWKS, so tokens already issued still validate.
/// </summary>
public sealed class SigningKeys : IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<SigningKey> _keys = [];

    public SigningKeys() => Rotate();

    /// <summary>The key new tokens are signed with.</summary>
    public SigningKey Current
    {
        get
        {
            lock (_gate)
            {
                return _keys[^1];
            }
        }
    }

    public IReadOnlyList<SigningKey> All
    {
        get
        {
            lock (_gate)
            {
                return [.. _keys];
            }
        }
    }

    /// <summary>Adds a new signing key; the previous ones stay published.</summary>
    public SigningKey Rotate()
    {
        var key = SigningKey.Create();
        lock (_gate)
        {
            _keys.Add(key);
        }

        return key;
    }

    /// <summary>Stops publishing a key: tokens it signed no longer validate.</summary>
    public bool Retire(string keyId)
    {
        lock (_gate)
        {
            if (_keys.Count == 1)
            {
                throw new InvalidOperationException("The last signing key cannot be retired.");
            }

            return _keys.RemoveAll(k => k.KeyId == keyId) > 0;
        }
    }

    public SigningKey? Find(string keyId)
    {
        lock (_gate)
        {
            return _keys.Find(k => k.KeyId == keyId);
        }
    }

    /// <summary>The JWKS document; <paramref name="issuer"/> is the per-key issuer Entra publishes.</summary>
    public JsonObject ToJwks(string issuer)
    {
        var keys = new JsonArray();
        foreach (var key in All)
        {
            var parameters = key.Rsa.ExportParameters(includePrivateParameters: false);
            keys.Add(new JsonObject
            {
                ["kty"] = "RSA",
                ["use"] = "sig",
                ["kid"] = key.KeyId,
                ["x5t"] = key.KeyId,
                ["n"] = WebEncoders.Base64UrlEncode(parameters.Modulus!),
                ["e"] = WebEncoders.Base64UrlEncode(parameters.Exponent!),
                ["issuer"] = issuer,
            });
        }

        return new JsonObject { ["keys"] = keys };
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _keys.ForEach(k => k.Rsa.Dispose());
            _keys.Clear();
        }
    }
}

/// <summary>One RSA signing key and its key id.</summary>
public sealed record SigningKey(string KeyId, RSA Rsa)
{
    public static SigningKey Create()
    {
        var rsa = RSA.Create(2048);
        // Entra's kids look like certificate thumbprints; a hash of the modulus gives the same shape.
        var modulus = rsa.ExportParameters(includePrivateParameters: false).Modulus!;
        return new SigningKey(WebEncoders.Base64UrlEncode(SHA256.HashData(modulus).AsSpan(0, 20)), rsa);
    }
}
