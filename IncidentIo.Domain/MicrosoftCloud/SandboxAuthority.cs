using System.Security.Cryptography.X509Certificates;
using IncidentIo.Domain.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.MicrosoftCloud;

/// <summary>
/// The certificate authority behind the Sandbox's https certificate: the installation's own
/// (<see cref="LocalCertificates"/>) unless <c>Microsoft:SandboxAuthorityCertificatePath</c> names another.
/// </summary>
public sealed class SandboxAuthority(IOptions<MicrosoftOptions> options, IServiceProvider services)
{
    private readonly Lazy<X509Certificate2> certificate = new(() => Load(options.Value, services));

    public X509Certificate2 Certificate => certificate.Value;

    private static X509Certificate2 Load(MicrosoftOptions options, IServiceProvider services)
    {
        if (options.SandboxAuthorityCertificatePath is { Length: > 0 } path)
        {
            return File.Exists(path)
                ? X509CertificateLoader.LoadCertificateFromFile(path)
                : throw new StartupException($"Microsoft:SandboxAuthorityCertificatePath names '{path}', which does not exist.");
        }

        return services.GetRequiredService<LocalCertificates>().Authority;
    }
}
