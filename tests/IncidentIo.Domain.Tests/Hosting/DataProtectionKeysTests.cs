using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Hosting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Tests.Hosting;

/// <summary>
/// The data-protection keys sit in the database beside the tokens they protect: a certificate
/// encrypts them at rest (required in Live mode), and a rotated-out certificate still decrypts.
/// </summary>
public sealed class DataProtectionKeysTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("incidentio-keys-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }

    [Fact]
    public void Live_mode_refuses_to_start_without_a_certificate_for_the_keys()
    {
        var services = new ServiceCollection();
        var configuration = Configuration(("Microsoft:Mode", "Live"));
        services.AddOptions<MicrosoftOptions>().Bind(configuration.GetSection(MicrosoftOptions.Section));
        services.AddIncidentIoDataProtection(configuration);
        using var provider = services.BuildValidated();

        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<MicrosoftOptions>>().Value);
        Assert.Contains("DataProtection:CertificatePath", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sandbox_mode_starts_without_one()
    {
        var services = new ServiceCollection();
        var configuration = Configuration();
        services.AddOptions<MicrosoftOptions>().Bind(configuration.GetSection(MicrosoftOptions.Section));
        services.AddIncidentIoDataProtection(configuration);
        using var provider = services.BuildValidated();

        Assert.True(provider.GetRequiredService<IOptions<MicrosoftOptions>>().Value.IsSandbox);
    }

    [Fact]
    public void A_certificate_that_cannot_be_read_is_named_in_one_line()
    {
        var missing = Path.Combine(folder, "missing.pfx");
        var wrongPassword = Certificate("wrong");

        var first = Assert.Throws<StartupException>(() => new ServiceCollection().AddIncidentIoDataProtection(Configuration(("DataProtection:CertificatePath", missing))));
        var second = Assert.Throws<StartupException>(() => new ServiceCollection().AddIncidentIoDataProtection(
            Configuration(("DataProtection:CertificatePath", wrongPassword), ("DataProtection:CertificatePassword", "not-it"))));

        Assert.StartsWith($"DataProtection:CertificatePath '{missing}' cannot be read", first.Message, StringComparison.Ordinal);
        Assert.StartsWith($"DataProtection:CertificatePath '{wrongPassword}' cannot be read", second.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_are_stored_encrypted_and_a_rotated_out_certificate_still_reads_them()
    {
        var old = Certificate("old");
        var current = Certificate("current");

        string cookie;
        using (var first = await HostAsync(("DataProtection:CertificatePath", old), ("DataProtection:CertificatePassword", "old")))
        {
            cookie = Protector(first).Protect("a signed-in person's cookie");
            var stored = await StoredKeysAsync(first);
            Assert.NotEmpty(stored);
            Assert.All(stored, xml =>
            {
                Assert.Contains("encryptedSecret", xml, StringComparison.Ordinal);
                Assert.DoesNotContain("<masterKey", xml, StringComparison.Ordinal);
            });
        }

        using (var withoutTheOld = await HostAsync(("DataProtection:CertificatePath", current), ("DataProtection:CertificatePassword", "current")))
        {
            Assert.ThrowsAny<CryptographicException>(() => Protector(withoutTheOld).Unprotect(cookie));
        }

        using var rotated = await HostAsync(
            ("DataProtection:CertificatePath", current), ("DataProtection:CertificatePassword", "current"),
            ("DataProtection:PreviousCertificates:0:Path", old), ("DataProtection:PreviousCertificates:0:Password", "old"));
        Assert.Equal("a signed-in person's cookie", Protector(rotated).Unprotect(cookie));
    }

    private static IDataProtector Protector(IHost host) =>
        host.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("tests");

    private static async Task<List<string>> StoredKeysAsync(IHost host)
    {
        await using var db = await host.Services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>().CreateDbContextAsync();
        return await db.DataProtectionKeys.Select(k => k.Xml!).ToListAsync();
    }

    private async Task<IHost> HostAsync(params (string Key, string Value)[] settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["DataFolder"] = folder;
        foreach (var (key, value) in settings)
        {
            builder.Configuration[key] = value;
        }

        builder.AddIncidentIoDomain("portal", runJobServer: false);
        var host = builder.Build();
        await host.Services.PrepareIncidentIoAsync();
        return host;
    }

    private string Certificate(string password)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN=IncidentIo keys {password}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var path = Path.Combine(folder, $"{password}.pfx");
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, password));
        return path;
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
            .Build();
}
