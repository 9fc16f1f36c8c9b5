namespace IncidentIo.Domain.Hosting;

/// <summary>A reason the process cannot start, worded for the operator who reads the one line printed.</summary>
public sealed class StartupException(string reason, Exception? inner = null) : Exception(reason, inner);
