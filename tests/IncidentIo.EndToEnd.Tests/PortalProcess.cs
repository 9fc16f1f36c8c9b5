using IncidentIo.Testing;

namespace IncidentIo.EndToEnd.Tests;

/// <summary>A Portal process on https on a free loopback port, ready when it prints its address.</summary>
public static class PortalProcess
{
    /// <returns>The process, its address, and the address of the Sandbox it hosts.</returns>
    /// <param name="settings">The Portal's environment; wins over the defaults here.</param>
    /// <param name="scheme">https (as people run it) or http (behind a proxy that ends TLS).</param>
    public static async Task<(ProductProcess Process, string Url, string SandboxOrigin)> StartAsync(IReadOnlyDictionary<string, string?> settings, string scheme = "https")
    {
        var url = $"{scheme}://127.0.0.1:{FreePort.Next()}";
        // Each Portal hosts its own Sandbox (simulated Microsoft 365) on a port of its own.
        var sandboxOrigin = $"https://localhost:{FreePort.Next()}";
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_URLS"] = url,
            ["Microsoft__SandboxOrigin"] = sandboxOrigin,
            // Where Teams (the Sandbox's Teams view) loads our tab from: this Portal.
            ["TeamsApp__PortalHost"] = new Uri(url).Authority,
        };
        foreach (var (key, value) in settings)
        {
            environment[key] = value;
        }

        var portal = ProductProcess.Start("IncidentIo.Portal", environment);
        await portal.WaitForOutputAsync($"IncidentIo portal is ready at {url}", TimeSpan.FromSeconds(90));
        return (portal, url, sandboxOrigin);
    }
}
