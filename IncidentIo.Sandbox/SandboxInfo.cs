namespace IncidentIo.Sandbox;

/// <summary>
/// The simulated Microsoft 365 tenants the product talks to when <c>Microsoft:Mode</c> is
/// <c>Sandbox</c>. Its Entra ID, Graph and Bot Framework endpoints are not served yet.
/// </summary>
public static class SandboxInfo
{
    public const string Name = "IncidentIo Sandbox";
}
