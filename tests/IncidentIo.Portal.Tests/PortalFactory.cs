using IncidentIo.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace IncidentIo.Portal.Tests;

/// <summary>The real Portal in memory, on SQLite in a temp folder or on a fresh PostgreSQL database.</summary>
public sealed class PortalFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> settings;
    private readonly string dataFolder = Directory.CreateTempSubdirectory("incidentio-portal-").FullName;

    private string environment = "Production";

    /// <summary>The <c>Health:DetailsKey</c> every test Portal has; send it in <c>X-Health-Key</c> to read the checks.</summary>
    public const string HealthKey = "portal-health-key-for-tests";

    private PortalFactory(Dictionary<string, string?> settings) => this.settings = settings;

    /// <summary>Runs the Portal in another environment (Development is what `dotnet run` uses).</summary>
    public PortalFactory InEnvironment(string name)
    {
        environment = name;
        return this;
    }

    public static PortalFactory OnSqlite() => new(new() { ["Database:Provider"] = "Sqlite" });

    public static async Task<PortalFactory> OnPostgresAsync(string jobMode = "InProcess")
    {
        var cluster = await PostgresCluster.GetAsync();
        return new(new()
        {
            ["Database:Provider"] = "Postgres",
            ["ConnectionStrings:IncidentIo"] = await cluster.CreateDatabaseAsync("portal"),
            ["Jobs:Mode"] = jobMode,
        });
    }

    /// <summary>One more setting for the Portal (before it starts).</summary>
    public PortalFactory With(string key, string? value)
    {
        settings[key] = value;
        return this;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        builder.UseSetting("DataFolder", dataFolder);
        builder.UseSetting("Jobs:WorkerCount", "2");
        builder.UseSetting("Health:DetailsKey", HealthKey);
        builder.UseSetting("Microsoft:SandboxOrigin", $"https://localhost:{FreePort.Next()}");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }

    /// <summary>A client that reads <c>/healthz</c> with its details, as a monitoring system with the key does.</summary>
    public HttpClient CreateHealthClient()
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-Health-Key", HealthKey);
        return client;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(dataFolder, recursive: true);
    }
}
