using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace IncidentIo.Sandbox.Hosting;

/// <summary>
/// A throwaway certificate authority and a <c>localhost</c> server certificate it issued, made in
/// memory. Clients that talk to the Sandbox trust this CA and nothing else (custom root trust), so
/// no machine-wide trust store is touched. The product may persist both via <see cref="Export"/>.
/// </summary>
public sealed class SandboxCertificateAuthority : IDisposable
{
    public SandboxCertificateAuthority(X509Certificate2 root, X509Certificate2 serverCertificate)
    {
        Root = root;
        ServerCertificate = serverCertificate;
    }

    /// <summary>The CA certificate (with its key when made here).</summary>
    public X509Certificate2 Root { get; }

    /// <summary>The https certificate to pass in <see cref="SandboxOptions.ServerCertificate"/>.</summary>
    public X509Certificate2 ServerCertificate { get; }

    public static SandboxCertificateAuthority Create(TimeProvider? time = null)
    {
        var now = (time ?? TimeProvider.System).GetUtcNow();
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=IncidentIo Sandbox CA, O=IncidentIo Sandbox", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddYears(5));

        using var serverKey = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var issued = request.Create(ca, now.AddDays(-1), now.AddYears(1), serial);
        using var withKey = issued.CopyWithPrivateKey(serverKey);

        // A round trip through PKCS#12 gives certificates whose keys Kestrel and SslStream accept everywhere.
        return new SandboxCertificateAuthority(Reload(ca), Reload(withKey));
    }

    /// <summary>Both certificates with keys, as PKCS#12, for a caller that keeps them between runs.</summary>
    public (byte[] Root, byte[] Server) Export(string? password = null) =>
        (Root.Export(X509ContentType.Pkcs12, password), ServerCertificate.Export(X509ContentType.Pkcs12, password));

    /// <summary>True when the certificate chains to this CA and only to it.</summary>
    public bool Trusts(X509Certificate2 certificate)
    {
        using var chain = new X509Chain { ChainPolicy = TrustPolicy() };
        return chain.Build(certificate);
    }

    /// <summary>A handler that trusts this CA only, and sends Microsoft's hosts to the Sandbox.</summary>
    public HttpMessageHandler CreateHandler(string sandboxOrigin) =>
        new SandboxRedirectHandler(sandboxOrigin) { InnerHandler = CreateTrustingHandler() };

    /// <summary>A plain handler that trusts this CA only (no host rewriting).</summary>
    public SocketsHttpHandler CreateTrustingHandler() => new()
    {
        SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = TrustPolicy() },
        AllowAutoRedirect = false,
        UseCookies = false,
    };

    public void Dispose()
    {
        Root.Dispose();
        ServerCertificate.Dispose();
    }

    private X509ChainPolicy TrustPolicy()
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.Add(Root);
        return policy;
    }

    private static X509Certificate2 Reload(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
}
