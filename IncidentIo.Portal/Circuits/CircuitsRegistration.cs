using System.Globalization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.Extensions.Options;

namespace IncidentIo.Portal.Circuits;

/// <summary>
/// <c>Circuits:*</c>: how long and how many Blazor circuits are kept for browsers that went away, and
/// the per-circuit limits. Every open circuit holds its pages' state in the Portal's memory, so
/// these bound what idle or abandoned browsers cost. Defaults are ASP.NET Core's, except where noted.
/// </summary>
public sealed class PortalCircuitOptions
{
    public const string Section = "Circuits";

    /// <summary>How long a circuit whose browser disconnected is kept for it to reconnect (a laptop lid, a flaky network).</summary>
    public TimeSpan DisconnectedRetention { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>At most this many disconnected circuits are kept; past it the oldest go first.</summary>
    public int DisconnectedMaxRetained { get; set; } = 100;

    /// <summary>
    /// How long the state of an evicted circuit is kept in memory for the browser to resume it
    /// (.NET 10 circuit persistence). ASP.NET Core keeps it 2 hours; our pages persist nothing
    /// that is worth that, so the Portal keeps it as long as a disconnected circuit.
    /// </summary>
    public TimeSpan PersistedRetention { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>At most this many evicted circuits' persisted state is kept (ASP.NET Core: 1,000).</summary>
    public int PersistedMaxRetained { get; set; } = 100;

    /// <summary>How long a call into the browser's JavaScript (clipboard, focus) may take before it fails.</summary>
    public TimeSpan JavaScriptCallTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Render batches sent and not yet acknowledged by a slow browser before the circuit waits for it.</summary>
    public int MaxUnacknowledgedRenderBatches { get; set; } = 10;
}

public static class CircuitsRegistration
{
    public static IServiceCollection AddPortalCircuits(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PortalCircuitOptions>().Bind(configuration.GetSection(PortalCircuitOptions.Section))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<PortalCircuitOptions>, PortalCircuitOptionsValidator>();
        services.AddOptions<CircuitOptions>().Configure<IOptions<PortalCircuitOptions>>((circuit, portal) =>
        {
            var o = portal.Value;
            circuit.DisconnectedCircuitRetentionPeriod = o.DisconnectedRetention;
            circuit.DisconnectedCircuitMaxRetained = o.DisconnectedMaxRetained;
            circuit.PersistedCircuitInMemoryRetentionPeriod = o.PersistedRetention;
            circuit.PersistedCircuitInMemoryMaxRetained = o.PersistedMaxRetained;
            circuit.JSInteropDefaultCallTimeout = o.JavaScriptCallTimeout;
            circuit.MaxBufferedUnacknowledgedRenderBatches = o.MaxUnacknowledgedRenderBatches;
        });

        services.AddSingleton<LiveCircuits>();
        services.AddScoped<CircuitHandler, LiveCircuitsHandler>();
        services.AddHealthChecks().AddCheck<LiveCircuitsHealthCheck>("circuits");
        return services;
    }
}

/// <summary>Each <c>Circuits:*</c> setting within a range that keeps the Portal usable and its memory bounded, named when it is not.</summary>
public sealed class PortalCircuitOptionsValidator : IValidateOptions<PortalCircuitOptions>
{
    public ValidateOptionsResult Validate(string? name, PortalCircuitOptions options)
    {
        var failures = new List<string>();
        Within(failures, nameof(options.DisconnectedRetention), options.DisconnectedRetention, TimeSpan.FromSeconds(5), TimeSpan.FromHours(1));
        Within(failures, nameof(options.DisconnectedMaxRetained), options.DisconnectedMaxRetained, 0, 10_000);
        Within(failures, nameof(options.PersistedRetention), options.PersistedRetention, TimeSpan.FromSeconds(5), TimeSpan.FromHours(2));
        Within(failures, nameof(options.PersistedMaxRetained), options.PersistedMaxRetained, 0, 10_000);
        Within(failures, nameof(options.JavaScriptCallTimeout), options.JavaScriptCallTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        Within(failures, nameof(options.MaxUnacknowledgedRenderBatches), options.MaxUnacknowledgedRenderBatches, 1, 100);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Within<T>(List<string> failures, string setting, T value, T least, T most)
        where T : IComparable<T>, IFormattable
    {
        if (value.CompareTo(least) < 0 || value.CompareTo(most) > 0)
        {
            failures.Add(string.Create(CultureInfo.InvariantCulture,
                $"{PortalCircuitOptions.Section}:{setting} must be from {least} to {most}, not {value}."));
        }
    }
}
