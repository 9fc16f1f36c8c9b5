using IncidentIo.Domain;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Hosting;
using IncidentIo.Sandbox.Hosting;
using IncidentIo.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace IncidentIo.Worker.Tests.Hosting;

/// <summary>
/// Production's shape: a Sandbox, PostgreSQL, Hangfire on PostgreSQL (<c>Jobs:Mode=Distributed</c>,
/// long polling), Worker processes started and killed at will, and a Portal-side host in this
/// process (the Portal's registration, no job server) that reads the database and queues jobs.
/// </summary>
public sealed class WorkerDeployment : IAsyncDisposable
{
    private readonly List<ProductProcess> workers = [];
    private readonly string dataFolder;

    private WorkerDeployment(string dataFolder, SandboxHost sandbox, IHost portal, string connectionString, Dictionary<string, string?> workerSettings)
    {
        this.dataFolder = dataFolder;
        Sandbox = sandbox;
        Portal = portal;
        ConnectionString = connectionString;
        WorkerSettings = workerSettings;
    }

    public SandboxHost Sandbox { get; }

    public IHost Portal { get; }

    public string ConnectionString { get; }

    /// <summary>Every Worker's environment (and the Portal-side host's configuration).</summary>
    public Dictionary<string, string?> WorkerSettings { get; }

    /// <summary>What the running Workers printed, for failure messages.</summary>
    public string WorkersOutput => string.Join('\n', workers.Select(w => w.Output));

    /// <param name="settings">Added to (or overriding) the deployment's own, as environment variables (<c>Section__Key</c>).</param>
    public static async Task<WorkerDeployment> StartAsync(string name, IReadOnlyDictionary<string, string?> settings)
    {
        var dataFolder = Directory.CreateTempSubdirectory($"incidentio-{name}-").FullName;
        var certificates = LocalCertificates.LoadOrCreate(new DataFolder(dataFolder));
        var sandbox = await SandboxHost.StartAsync(new SandboxOptions { ServerCertificate = certificates.Server });
        var connectionString = await (await PostgresCluster.GetAsync()).CreateDatabaseAsync(name);
        var all = new Dictionary<string, string?>
        {
            ["Database__Provider"] = "Postgres",
            ["ConnectionStrings__IncidentIo"] = connectionString,
            ["Jobs__Mode"] = "Distributed",
            ["Microsoft__SandboxOrigin"] = sandbox.Origin,
            ["Microsoft__SandboxAuthorityCertificatePath"] = certificates.AuthorityPemPath,
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        var builder = Host.CreateApplicationBuilder();
        foreach (var (key, value) in all)
        {
            builder.Configuration[key.Replace("__", ":", StringComparison.Ordinal)] = value;
        }

        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddIncidentIoDomain("portal", runJobServer: false);
        var portal = builder.Build();
        await portal.Services.PrepareIncidentIoAsync();
        return new WorkerDeployment(dataFolder, sandbox, portal, connectionString, all);
    }

    /// <summary>Starts a Worker process (its own port) and waits until it runs jobs.</summary>
    public async Task<ProductProcess> StartWorkerAsync()
    {
        var worker = ProductProcess.Start("IncidentIo.Worker", new Dictionary<string, string?>(WorkerSettings) { ["Urls"] = $"http://127.0.0.1:{FreePort.Next()}" });
        workers.Add(worker);
        await worker.WaitForOutputAsync("IncidentIo worker is running", TimeSpan.FromSeconds(60));
        return worker;
    }

    /// <summary>SIGKILL: the worker gives nothing back, renews nothing and commits nothing.</summary>
    public async Task KillAsync(ProductProcess worker)
    {
        workers.Remove(worker);
        await worker.DisposeAsync();
    }

    public Task<IncidentIoDbContext> DbAsync() => Portal.Services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>().CreateDbContextAsync();

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in workers)
        {
            await worker.DisposeAsync();
        }

        Portal.Dispose();
        await Sandbox.DisposeAsync();
        try
        {
            Directory.Delete(dataFolder, recursive: true);
        }
        catch (IOException)
        {
            // A killed worker may still hold a file for a moment: the temp folder is cleaned up later.
        }
    }
}
