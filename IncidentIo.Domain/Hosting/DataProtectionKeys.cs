using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using IncidentIo.Domain.Data;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace IncidentIo.Domain.Hosting;

/// <summary><c>DataProtection:*</c>: the certificate that encrypts the data-protection keys at rest.</summary>
public sealed class KeyProtectionOptions
{
    public const string Section = "DataProtection";

    /// <summary>A PFX (with its private key) every Portal and Worker has; new keys are encrypted with it.</summary>
    public string? CertificatePath { get; set; }

    public string? CertificatePassword { get; set; }

    /// <summary>Certificates replaced by <see cref="CertificatePath"/>, kept so keys they encrypted can still be read.</summary>
    public List<CertificateFile> PreviousCertificates { get; set; } = [];

    public sealed class CertificateFile
    {
        public string? Path { get; set; }

        public string? Password { get; set; }
    }
}

/// <summary>
/// The keys that encrypt cookies and the token cache live in the shared database (every instance
/// reads the others' cookies). Beside the tokens they protect they would protect nothing, so a
/// Live deployment refuses to start unless a certificate encrypts them; rotation keeps the old
/// certificates for decryption only.
/// </summary>
public static class DataProtectionKeys
{
    public static IServiceCollection AddIncidentIoDataProtection(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection(KeyProtectionOptions.Section).Get<KeyProtectionOptions>() ?? new KeyProtectionOptions();
        var dataProtection = services.AddDataProtection()
            .SetApplicationName("IncidentIo")
            .PersistKeysToDbContext<IncidentIoDbContext>();

        var protectedAtRest = settings.CertificatePath is { Length: > 0 };
        services.AddOptions<MicrosoftOptions>().Validate(
            microsoft => !microsoft.IsLive || protectedAtRest,
            "DataProtection:CertificatePath (a PFX that encrypts the data-protection keys stored in the database) is required when Microsoft:Mode is 'Live'.");
        if (!protectedAtRest)
        {
            return services;
        }

        var current = Load(settings.CertificatePath!, settings.CertificatePassword, "DataProtection:CertificatePath");
        dataProtection.ProtectKeysWithCertificate(current);
        var previous = settings.PreviousCertificates
            .Select((file, i) => Load(file.Path ?? "", file.Password, $"DataProtection:PreviousCertificates:{i}:Path"))
            .ToArray();
        if (previous.Length > 0)
        {
            dataProtection.UnprotectKeysWithAnyCertificate([current, .. previous]);
        }

        return services;
    }

    private static X509Certificate2 Load(string path, string? password, string key)
    {
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new StartupException($"{key} '{path}' cannot be read as a PFX with the given password: {e.Message}", e);
        }

        return certificate.HasPrivateKey
            ? certificate
            : throw new StartupException($"{key} '{path}' has no private key: the data-protection keys could not be decrypted with it.");
    }
}
