using IncidentIo.Portal.Circuits;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.Extensions.DependencyInjection;

namespace IncidentIo.Portal.Tests.Circuits;

/// <summary>The count of circuits operators read in <c>/healthz</c>, as Blazor calls the handler through a circuit's life.</summary>
public sealed class LiveCircuitsTests
{
    [Fact]
    public async Task Circuits_count_while_open_and_browsers_while_connected()
    {
        await using var portal = PortalFactory.OnSqlite();
        var circuits = portal.Services.GetRequiredService<LiveCircuits>();
        using var first = portal.Services.CreateScope();
        using var second = portal.Services.CreateScope();
        var one = first.ServiceProvider.GetServices<CircuitHandler>().OfType<LiveCircuitsHandler>().Single();
        var two = second.ServiceProvider.GetServices<CircuitHandler>().OfType<LiveCircuitsHandler>().Single();

        await one.OnCircuitOpenedAsync(null!, default);
        await one.OnConnectionUpAsync(null!, default);
        await two.OnCircuitOpenedAsync(null!, default);
        await two.OnConnectionUpAsync(null!, default);
        Assert.Equal((2, 2), (circuits.Open, circuits.Connected));

        // A browser that went away: its circuit is kept, disconnected, until it comes back or is evicted.
        await two.OnConnectionDownAsync(null!, default);
        Assert.Equal((2, 1), (circuits.Open, circuits.Connected));

        await two.OnCircuitClosedAsync(null!, default);
        await one.OnConnectionDownAsync(null!, default);
        await one.OnCircuitClosedAsync(null!, default);
        Assert.Equal((0, 0), (circuits.Open, circuits.Connected));
    }
}
