namespace IncidentIo.Sandbox;

/// <summary>
/// The simulated Microsoft 365 tenants the product talks to when <c>Microsoft:Mode</c> is
/// <c>Sandbox</c>. Start one with <see cref="Hosting.SandboxHost.StartAsync"/>.
/// </summary>
public static class SandboxInfo
{
    public const string Name = "IncidentIo Sandbox";
}
