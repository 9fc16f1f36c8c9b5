using System.Net.Http.Json;
using System.Text.Json;

namespace IncidentIo.EndToEnd.Tests.Circuits;

/// <summary>The Portal's circuits as its <c>/healthz</c> details report them, for the benchmarks that count them.</summary>
public sealed class PortalCircuitCount : IDisposable
{
    private const string HealthKey = "circuit-benchmark-health-key";

    private readonly HttpClient health = new(new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator });

    /// <summary>What a Portal started for these benchmarks is given: the health details, polled often, and closed circuits going quickly.</summary>
    public static Dictionary<string, string?> PortalSettings(string dataFolder) => new()
    {
        ["DataFolder"] = dataFolder,
        ["Health:DetailsKey"] = HealthKey,
        // The benchmarks poll the circuit count.
        ["Health:AnonymousRequestsPerMinute"] = "6000",
        // A closed tab's or client's circuit goes at once (its unload beacon or disconnect) or after this at the latest.
        ["Circuits:DisconnectedRetention"] = "00:00:05",
    };

    public async Task<(int Open, int Connected)> ReadAsync(string portalUrl)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{portalUrl}/healthz");
        request.Headers.Add("X-Health-Key", HealthKey);
        using var response = await health.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var circuits = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("checks").GetProperty("circuits").GetProperty("data");
        return (circuits.GetProperty("open").GetInt32(), circuits.GetProperty("connected").GetInt32());
    }

    public void Dispose() => health.Dispose();
}
