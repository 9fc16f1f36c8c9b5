using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace IncidentIo.Domain.Hosting;

/// <summary>
/// A private certificate authority of this installation, kept in the data folder, and a server
/// certificate it issues for loopback names. Lets the embedded default serve https on a fresh
/// machine without a developer certificate. Trust <c>ca.crt</c> in a browser to drop the warning.
/// The authority is name-constrained to loopback names, so trusting it cannot vouch for any other
/// site, and its key files are readable by their owner only.
/// </summary>
public sealed class LocalCertificates
{
    private const string Folder = "certificates";
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(825);

    private LocalCertificates(X509Certificate2 authority, X509Certificate2 server, string authorityPemPath)
    {
        Authority = authority;
        Server = server;
        AuthorityPemPath = authorityPemPath;
    }

    /// <summary>The authority (public part only is needed by clients that trust it).</summary>
    public X509Certificate2 Authority { get; }

    /// <summary>The https server certificate, with its private key.</summary>
    public X509Certificate2 Server { get; }

    public string AuthorityPemPath { get; }

    /// <summary>Loads the certificates, creating them on first use. Safe when several processes start at once.</summary>
    public static LocalCertificates LoadOrCreate(DataFolder dataFolder, ILogger? logger = null)
    {
        var authorityPath = dataFolder.Ensure(Path.Combine(Folder, "ca.pfx"));
        var authorityPemPath = Path.Combine(Path.GetDirectoryName(authorityPath)!, "ca.crt");
        var serverPath = Path.Combine(Path.GetDirectoryName(authorityPath)!, "server.pfx");

        using var exclusive = AcquireLock(Path.Combine(Path.GetDirectoryName(authorityPath)!, ".lock"));

        var authority = File.Exists(authorityPath) ? X509CertificateLoader.LoadPkcs12FromFile(authorityPath, null, X509KeyStorageFlags.Exportable) : null;
        if (authority is not null && !LoopbackNameConstraints.IsPresentOn(authority))
        {
            // Made by an earlier version that could sign for any name: replace it, once.
            logger?.LogWarning(
                "The local certificate authority at {Path} was not limited to loopback names; a new, name-constrained one replaces it. Trust the new {Certificate} again where you trusted the old one, and remove the old one from those stores.",
                authorityPath,
                authorityPemPath);
            authority = null;
        }
        if (authority is null || authority.NotAfter < DateTime.UtcNow.AddDays(30))
        {
            authority = CreateAuthority();
            WriteOwnerOnly(authorityPath, authority.Export(X509ContentType.Pkcs12));
            File.WriteAllText(authorityPemPath, authority.ExportCertificatePem());
            File.Delete(serverPath);
        }

        var server = File.Exists(serverPath) ? X509CertificateLoader.LoadPkcs12FromFile(serverPath, null) : null;
        if (server is null || server.NotAfter < DateTime.UtcNow.AddDays(30) || server.Issuer != authority.Subject)
        {
            using var fresh = CreateServer(authority);
            WriteOwnerOnly(serverPath, fresh.Export(X509ContentType.Pkcs12));
            server = X509CertificateLoader.LoadPkcs12FromFile(serverPath, null);
        }

        // Key files written by an earlier version kept the default (often world-readable) mode.
        RestrictToOwner(authorityPath);
        RestrictToOwner(serverPath);

        return new LocalCertificates(authority, server, authorityPemPath);
    }

    /// <summary>True when <paramref name="certificate"/> chains to this authority (for http clients that pin it).</summary>
    public bool IsIssuedByAuthority(X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    private static X509Certificate2 CreateAuthority()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=IncidentIo Local Authority", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(LoopbackNameConstraints.Create());
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        using var created = request.CreateSelfSigned(now, now.Add(Lifetime));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
    }

    private static X509Certificate2 CreateServer(X509Certificate2 authority)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        var notAfter = now.AddDays(397) < authority.NotAfter ? now.AddDays(397) : new DateTimeOffset(authority.NotAfter);
        using var issued = request.Create(authority, now, notAfter, RandomNumberGenerator.GetBytes(16));
        return issued.CopyWithPrivateKey(key);
    }

    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    // The file is created 0600 (never briefly readable by others); an existing file is truncated and re-restricted.
    private static void WriteOwnerOnly(string path, byte[] content)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerReadWrite;
        }
        using (var stream = new FileStream(path, options))
        {
            stream.Write(content);
        }
        RestrictToOwner(path);
    }

    private static void RestrictToOwner(string path)
    {
        if (!OperatingSystem.IsWindows() && File.Exists(path) && File.GetUnixFileMode(path) != OwnerReadWrite)
        {
            File.SetUnixFileMode(path, OwnerReadWrite);
        }
    }

    private static FileStream AcquireLock(string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (attempt < 100)
            {
                Thread.Sleep(100);
            }
        }
    }
}
