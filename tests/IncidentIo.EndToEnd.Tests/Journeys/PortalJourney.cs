using IncidentIo.Testing;

namespace IncidentIo.EndToEnd.Tests.Journeys;

/// <summary>
/// A Portal process in the embedded default (SQLite in its own data folder, the Sandbox it hosts)
/// and Chromium, for one test class's journeys; both are gone afterwards.
/// </summary>
public abstract class PortalJourney : IAsyncLifetime
{
    private readonly string dataFolder = Path.Combine(Path.GetTempPath(), $"incidentio-e2e-{Guid.NewGuid():N}");
    private ProductProcess portal = null!;

    protected string Url { get; private set; } = null!;

    /// <summary>The Sandbox the Portal hosts: its control API shows what the product did in Microsoft 365.</summary>
    protected string SandboxOrigin { get; private set; } = null!;

    protected string DataFolder => dataFolder;

    protected Browser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        (portal, Url, SandboxOrigin) = await PortalProcess.StartAsync(new Dictionary<string, string?> { ["DataFolder"] = dataFolder });
        Browser = await Browser.LaunchAsync();
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        await portal.DisposeAsync();
        Directory.Delete(dataFolder, recursive: true);
    }
}
