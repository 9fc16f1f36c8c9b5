using IncidentIo.Domain.Hosting;

namespace IncidentIo.Portal.Hosting;

public static class LocalHttps
{
    /// <summary>
    /// Serves https on the installation's own certificate (see <see cref="LocalCertificates"/>) unless
    /// a certificate is configured (<c>Kestrel:Certificates:Default</c>, or per endpoint), so that a
    /// fresh machine without a developer certificate still runs the portal on https.
    /// </summary>
    public static WebApplicationBuilder UseLocalHttpsCertificateUnlessConfigured(this WebApplicationBuilder builder)
    {
        if (builder.Configuration.GetSection("Kestrel:Certificates:Default").Exists())
        {
            return builder;
        }

        // Resolved on the first TLS handshake, after the configuration has been checked.
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.ConfigureHttpsDefaults(https => https.ServerCertificateSelector =
                (_, _) => kestrel.ApplicationServices.GetRequiredService<LocalCertificates>().Server));
        return builder;
    }
}
