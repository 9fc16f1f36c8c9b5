using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;

namespace IncidentIo.Sandbox.Entra;

/// <summary>
/// Minimal RS256 JWT writing and signature checking. The Sandbox is the only party that both signs
/// and verifies these, so it does not need a token library; clients validate with the real ones.
/// </summary>
public static class Jwt
{
    public static string Sign(JsonObject payload, SigningKey key)
    {
        var header = new JsonObject { ["typ"] = "JWT", ["alg"] = "RS256", ["kid"] = key.KeyId, ["x5t"] = key.KeyId };
        var signingInput = $"{Encode(header)}.{Encode(payload)}";
        var signature = key.Rsa.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return $"{signingInput}.{WebEncoders.Base64UrlEncode(signature)}";
    }

    /// <summary>Parses a compact JWT and checks its signature against the published keys.</summary>
    public static JwtCheck Verify(string token, SigningKeys keys)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return JwtCheck.Malformed;
        }

        JsonObject? header;
        JsonObject? payload;
        byte[] signature;
        try
        {
            header = JsonNode.Parse(WebEncoders.Base64UrlDecode(parts[0])) as JsonObject;
            payload = JsonNode.Parse(WebEncoders.Base64UrlDecode(parts[1])) as JsonObject;
            signature = WebEncoders.Base64UrlDecode(parts[2]);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return JwtCheck.Malformed;
        }

        if (header is null || payload is null || header["alg"]?.GetValue<string>() != "RS256")
        {
            return JwtCheck.Malformed;
        }

        var key = header["kid"]?.GetValue<string>() is { } kid ? keys.Find(kid) : null;
        var valid = key is not null && key.Rsa.VerifyData(
            Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"), signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return new JwtCheck(payload, valid);
    }

    private static string Encode(JsonObject json) => WebEncoders.Base64UrlEncode(JsonSerializer.SerializeToUtf8Bytes(json));
}

/// <summary>A parsed token; <see cref="Payload"/> is null when the token could not be parsed.</summary>
public sealed record JwtCheck(JsonObject? Payload, bool SignatureValid)
{
    public static readonly JwtCheck Malformed = new(null, false);

    public string? Claim(string name) => Payload?[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public long? NumericClaim(string name) => Payload?[name] is JsonValue v && v.TryGetValue<long>(out var n) ? n : null;
}
