using System.ComponentModel.DataAnnotations;
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
    [Range(typeof(TimeSpan), "00:00:05", "01:00:00")]
    public TimeSpan DisconnectedRetention { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>At most this many disconnected circuits are kept; past it the oldest go first.</summary>
    [Range(0, 10_000)]
    public int DisconnectedMaxRetained { get; set; } = 100;

    /// <summary>
    /// How long the state of an evicted circuit is kept in memory for the browser to resume it
    /// (.NET 10 circuit persistence). ASP.NET Core keeps it 2 hours; our pages persist nothing
    /// that is worth that, so the Portal keeps it as long as a disconnected circuit.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:05", "02:00:00")]
    public TimeSpan PersistedRetention { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>At most this many evicted circuits' persisted state is kept (ASP.NET Core: 1,000).</summary>
    [Range(0, 10_000)]
    public int PersistedMaxRetained { get; set; } = 100;

    /// <summary>How long a call into the browser's JavaScript (clipboard, focus) may take before it fails.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan JavaScriptCallTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Render batches sent and not yet acknowledged by a slow browser before the circuit waits for it.</summary>
    [Range(1, 100)]
    public int MaxUnacknowledgedRenderBatches { get; set; } = 10;
}

public static class CircuitsRegistration
{
    public static IServiceCollection AddPortalCircuits(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PortalCircuitOptions>().Bind(configuration.GetSection(PortalCircuitOptions.Section))
            .ValidateDataAnnotations().ValidateOnStart();
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
