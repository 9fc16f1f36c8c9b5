using System.Security.Cryptography.X509Certificates;
using IncidentIo.Sandbox.BotFramework;
using IncidentIo.Sandbox.Throttling;
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
    /// <summary>Graph throttling limits (published Teams limits by default); <c>Enabled = false</c> turns it off.</summary>
    public ThrottlingOptions Throttling { get; init; } = new();

    /// <summary>Seed for fault injection's random choices, so the same calls fail on every run.</summary>
    public int FaultSeed { get; init; } = 42;
}
