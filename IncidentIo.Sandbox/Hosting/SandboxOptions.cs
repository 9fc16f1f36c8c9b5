using System.Security.Cryptography.X509Certificates;
using IncidentIo.Sandbox.BotFramework;
using Microsoft.Extensions.Logging;

namespace IncidentIo.Sandbox.Hosting;

/// <summary>How to start a Sandbox. The caller owns the certificate: the Sandbox never writes files.</summary>
public sealed class SandboxOptions
{
    /// <summary>The https server certificate, with its private key, valid for <c>localhost</c>.</summary>
    public required X509Certificate2 ServerCertificate { get; init; }

    /// <summary>The loopback port to listen on; 0 picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>Seed the Contoso and staff demo tenants (see README.md).</summary>
    public bool SeedDemoData { get; init; } = true;

    /// <summary>The Sandbox's clock: tokens, codes and expiry checks all read it.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>Where the Sandbox logs; by default only warnings, to nothing.</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; init; }

    /// <summary>The Bot Framework side: the bot's endpoint and client, page sizes, retries.</summary>
    public BotFrameworkOptions Bot { get; init; } = new();
}
