using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using IncidentIo.Domain.Hosting;
using Microsoft.Extensions.Logging;

namespace IncidentIo.Domain.Tests.Security;

/// <summary>
/// The local authority people are told to trust system-wide cannot vouch for another site: it is
/// name-constrained to loopback, its keys are owner-only, and an older unconstrained one is replaced.
/// </summary>
public sealed class LocalAuthorityNameConstraintTests : IDisposable
{
    private readonly string dataFolder = Directory.CreateTempSubdirectory("incidentio-ca-").FullName;

    public void Dispose() => Directory.Delete(dataFolder, recursive: true);

    [Fact]
    public void The_authority_carries_a_critical_loopback_name_constraint()
    {
        var certificates = LocalCertificates.LoadOrCreate(new DataFolder(dataFolder));

        var extension = certificates.Authority.Extensions[LoopbackNameConstraints.Oid];
        Assert.NotNull(extension);
        Assert.True(extension.Critical);
        Assert.Equal(LoopbackNameConstraints.Create().RawData, extension.RawData);
    }

    [Fact]
    public void A_certificate_it_signs_for_another_name_does_not_chain()
    {
        var certificates = LocalCertificates.LoadOrCreate(new DataFolder(dataFolder));
        using var forged = Issue(certificates.Authority, "bank.example", IPAddress.Parse("203.0.113.7"));
        using var forgedName = Issue(certificates.Authority, "bank.example", null);

        // The server certificate it issued for loopback still chains: the refusal below is the constraint's doing.
        Assert.True(Build(certificates.Authority, certificates.Server, out _));
        Assert.False(Build(certificates.Authority, forged, out var status));
        Assert.Contains(status, s => s.Status.HasFlag(X509ChainStatusFlags.HasNotPermittedNameConstraint));
        Assert.False(Build(certificates.Authority, forgedName, out var nameStatus));
        Assert.Contains(nameStatus, s => s.Status.HasFlag(X509ChainStatusFlags.HasNotPermittedNameConstraint));
    }

    [Fact]
    public void Key_files_are_readable_by_their_owner_only()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix file modes only.
        }
        LocalCertificates.LoadOrCreate(new DataFolder(dataFolder));

        var folder = Path.Combine(dataFolder, "certificates");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, "ca.pfx")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, "server.pfx")));
    }

    [Fact]
    public void An_unconstrained_authority_from_an_earlier_version_is_replaced_and_said_so_once()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix file modes only.
        }
        var folder = Directory.CreateDirectory(Path.Combine(dataFolder, "certificates")).FullName;
        using var old = UnconstrainedAuthority();
        File.WriteAllBytes(Path.Combine(folder, "ca.pfx"), old.Export(X509ContentType.Pkcs12));
        File.SetUnixFileMode(Path.Combine(folder, "ca.pfx"), (UnixFileMode)0b110_100_100);
        var logger = new RecordingLogger();

        var first = LocalCertificates.LoadOrCreate(new DataFolder(dataFolder), logger);
        var second = LocalCertificates.LoadOrCreate(new DataFolder(dataFolder), logger);

        Assert.NotEqual(old.Thumbprint, first.Authority.Thumbprint);
        Assert.True(LoopbackNameConstraints.IsPresentOn(first.Authority));
        Assert.Equal(first.Authority.Thumbprint, second.Authority.Thumbprint);
        Assert.Equal(first.Authority.ExportCertificatePem(), File.ReadAllText(Path.Combine(folder, "ca.crt")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(folder, "ca.pfx")));
        var warning = Assert.Single(logger.Messages);
        Assert.Contains("not limited to loopback names", warning);
    }

    private static bool Build(X509Certificate2 authority, X509Certificate2 leaf, out X509ChainStatus[] status)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(authority);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        var built = chain.Build(leaf);
        status = chain.ChainStatus;
        return built;
    }

    private static X509Certificate2 Issue(X509Certificate2 authority, string dnsName, IPAddress? address)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={dnsName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(dnsName);
        if (address is not null)
        {
            names.AddIpAddress(address);
        }
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        return request.Create(authority, now, now.AddDays(30), RandomNumberGenerator.GetBytes(16));
    }

    private static X509Certificate2 UnconstrainedAuthority()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=IncidentIo Local Authority", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        return request.CreateSelfSigned(now, now.AddDays(400));
    }

    private sealed class RecordingLogger : ILogger
    {
        public List<string> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Add(formatter(state, exception));
    }
}
