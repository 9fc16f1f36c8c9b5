using IncidentIo.Portal.Circuits;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IncidentIo.Portal.Tests.Circuits;

/// <summary>The Portal's <c>Circuits:*</c> settings: what reaches Blazor, and what stops the Portal at start.</summary>
public sealed class CircuitSettingsTests
{
    [Fact]
    public async Task The_settings_reach_blazors_circuit_options()
    {
        await using var portal = PortalFactory.OnSqlite()
            .With("Circuits:DisconnectedRetention", "00:01:30")
            .With("Circuits:DisconnectedMaxRetained", "40")
            .With("Circuits:JavaScriptCallTimeout", "00:00:20");

        var circuit = portal.Services.GetRequiredService<IOptions<CircuitOptions>>().Value;

        Assert.Equal(TimeSpan.FromSeconds(90), circuit.DisconnectedCircuitRetentionPeriod);
        Assert.Equal(40, circuit.DisconnectedCircuitMaxRetained);
        Assert.Equal(TimeSpan.FromSeconds(20), circuit.JSInteropDefaultCallTimeout);
        // Not ASP.NET Core's two hours: evicted circuits' state goes as soon as a disconnected circuit would.
        Assert.Equal(TimeSpan.FromMinutes(3), circuit.PersistedCircuitInMemoryRetentionPeriod);
        Assert.Equal(100, circuit.PersistedCircuitInMemoryMaxRetained);
    }

    [Theory]
    [InlineData("00:00:00", "Circuits:DisconnectedRetention must be from 00:00:05 to 01:00:00, not 00:00:00.")]
    [InlineData("1.00:00:00", "Circuits:DisconnectedRetention must be from 00:00:05 to 01:00:00, not 1.00:00:00.")]
    public void A_retention_out_of_range_is_refused_naming_the_key(string retention, string reason)
    {
        var result = new PortalCircuitOptionsValidator().Validate(null, new PortalCircuitOptions { DisconnectedRetention = TimeSpan.Parse(retention, System.Globalization.CultureInfo.InvariantCulture) });

        Assert.True(result.Failed);
        Assert.Equal(reason, result.FailureMessage);
    }

    [Fact]
    public void Limits_out_of_range_are_each_named()
    {
        var result = new PortalCircuitOptionsValidator().Validate(null, new PortalCircuitOptions
        {
            DisconnectedMaxRetained = -1,
            PersistedRetention = TimeSpan.FromHours(5),
            JavaScriptCallTimeout = TimeSpan.Zero,
            MaxUnacknowledgedRenderBatches = 0,
        });

        Assert.Equal(
            [
                "Circuits:DisconnectedMaxRetained must be from 0 to 10000, not -1.",
                "Circuits:PersistedRetention must be from 00:00:05 to 02:00:00, not 05:00:00.",
                "Circuits:JavaScriptCallTimeout must be from 00:00:01 to 00:10:00, not 00:00:00.",
                "Circuits:MaxUnacknowledgedRenderBatches must be from 1 to 100, not 0.",
            ],
            result.Failures);
    }

    [Fact]
    public void The_defaults_are_accepted() =>
        Assert.True(new PortalCircuitOptionsValidator().Validate(null, new PortalCircuitOptions()).Succeeded);
}
