namespace IncidentIo.Portal.Hosting;

/// <summary>
/// Writes a hosted component's log (the embedded Sandbox keeps a logging pipeline of its own) into
/// this process's log, under <paramref name="prefix"/> so its lines are told apart.
/// </summary>
public sealed class ForwardedLoggers(ILoggerFactory target, string prefix) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => target.CreateLogger($"{prefix}: {categoryName}");

    public void Dispose()
    {
        // The target factory belongs to the host that owns it.
    }
}
