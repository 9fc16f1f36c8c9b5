namespace IncidentIo.Domain.Jobs;

/// <summary>Names this process in job records and as its Hangfire server name (role, host, pid).</summary>
public sealed class JobServerIdentity(string role)
{
    public string Role { get; } = role;

    public string Name { get; } = $"{role} {Environment.MachineName}:{Environment.ProcessId}";
}
