using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace IncidentIo.Domain.Hosting;

/// <summary>
/// The X.509 Name Constraints extension (RFC 5280 §4.2.1.10) that limits a certificate authority to
/// loopback names: DNS <c>localhost</c>, IP 127.0.0.1/32 and ::1/128. .NET has no builder for it, so
/// the DER is written here. A person who trusts the local authority system-wide then trusts it for
/// nothing but this machine's own loopback services.
/// </summary>
public static class LoopbackNameConstraints
{
    public const string Oid = "2.5.29.30";

    /// <summary>The extension, marked critical as RFC 5280 requires for name constraints.</summary>
    public static X509Extension Create()
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0)))
        {
            // GeneralName dNSName [2] IA5String.
            using (writer.PushSequence())
            {
                writer.WriteCharacterString(UniversalTagNumber.IA5String, "localhost", new Asn1Tag(TagClass.ContextSpecific, 2));
            }
            WriteAddress(writer, IPAddress.Loopback);
            WriteAddress(writer, IPAddress.IPv6Loopback);
        }
        return new X509Extension(Oid, writer.Encode(), critical: true);
    }

    /// <summary>True when the certificate carries a Name Constraints extension.</summary>
    public static bool IsPresentOn(X509Certificate2 certificate) => certificate.Extensions[Oid] is not null;

    // GeneralName iPAddress [7] OCTET STRING: the address followed by an all-ones mask (a single host).
    private static void WriteAddress(AsnWriter writer, IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        var addressAndMask = new byte[bytes.Length * 2];
        bytes.CopyTo(addressAndMask, 0);
        addressAndMask.AsSpan(bytes.Length).Fill(0xFF);
        using (writer.PushSequence())
        {
            writer.WriteOctetString(addressAndMask, new Asn1Tag(TagClass.ContextSpecific, 7));
        }
    }
}
