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

        // Created on the first TLS handshake, after the configuration has been checked.
        var certificates = new Lazy<LocalCertificates>(() =>
            LocalCertificates.LoadOrCreate(DataFolder.From(builder.Configuration, builder.Environment)));
        builder.Services.AddSingleton(_ => certificates.Value);
        builder.WebHost.ConfigureKestrel(kestrel =>
            kestrel.ConfigureHttpsDefaults(https => https.ServerCertificateSelector = (_, _) => certificates.Value.Server));
        return builder;
    }
}
