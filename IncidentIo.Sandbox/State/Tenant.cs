namespace IncidentIo.Sandbox.State;

/// <summary>An Entra ID tenant. The first verified domain is the default (initial) one.</summary>
public sealed record Tenant(Guid Id, string DisplayName, IReadOnlyList<string> VerifiedDomains)
{
    public string DefaultDomain => VerifiedDomains[0];
}
