using IncidentIo.Sandbox.Hosting;

namespace IncidentIo.Sandbox.Tests.Infrastructure;

/// <summary>One throwaway CA for the whole test run: key generation is the slow part.</summary>
public static class TestCertificates
{
    private static readonly Lazy<SandboxCertificateAuthority> Shared = new(() => SandboxCertificateAuthority.Create());

    public static SandboxCertificateAuthority Authority => Shared.Value;
}
