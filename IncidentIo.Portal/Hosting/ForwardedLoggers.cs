namespace IncidentIo.Portal.Hosting;

/// <summary>
/// Writes a hosted component's warnings and errors (the embedded Sandbox keeps a logging pipeline of
/// its own) into this process's log, under <paramref name="prefix"/> so its lines are told apart.
/// </summary>
public sealed class ForwardedLoggers(ILoggerFactory target, string prefix) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new WarningsOnly(target.CreateLogger($"{prefix}: {categoryName}"));

    public void Dispose()
    {
        // The target factory belongs to the host that owns it.
    }

    private sealed class WarningsOnly(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
