using IncidentIo.Domain.Data;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.Jobs;
using IncidentIo.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IncidentIo.Domain.Tests.Data;

/// <summary>A fresh database on either provider, with the product's own registration.</summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly string? sqliteFolder;

    private TestDatabase(string provider, string connectionString, string? sqliteFolder)
    {
        Provider = provider;
        ConnectionString = connectionString;
        this.sqliteFolder = sqliteFolder;
    }

    public string Provider { get; }

    public string ConnectionString { get; }

    public static async Task<TestDatabase> CreateAsync(string provider)
    {
        if (provider == DatabaseOptions.Postgres)
        {
            var cluster = await PostgresCluster.GetAsync();
            return new TestDatabase(provider, await cluster.CreateDatabaseAsync("domain"), null);
        }

        var folder = Directory.CreateTempSubdirectory("incidentio-sqlite-").FullName;
        return new TestDatabase(provider, $"Data Source={Path.Combine(folder, "test.db")};Default Timeout=30", folder);
    }

    /// <summary>The services a product process would have for the database (no job server).</summary>
    public ServiceProvider BuildServices()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:Provider"] = Provider,
            ["ConnectionStrings:IncidentIo"] = ConnectionString,
        }).Build();
        var services = new ServiceCollection()
            .AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
            .AddSingleton<IConfiguration>(configuration)
            .AddSingleton(TimeProvider.System)
            .AddSingleton(new DataFolder(sqliteFolder ?? Path.GetTempPath()))
            .AddSingleton(new JobServerIdentity("test"))
            .AddIncidentIoDatabase(configuration);
        services.AddScoped<HeartbeatJob>();
        return services.BuildValidated();
    }

    public ValueTask DisposeAsync()
    {
        if (sqliteFolder is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(sqliteFolder, recursive: true);
        }

        return ValueTask.CompletedTask;
    }
}
