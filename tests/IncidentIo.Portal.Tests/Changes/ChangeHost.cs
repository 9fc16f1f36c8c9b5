using System.Data.Common;
using IncidentIo.Domain;
using IncidentIo.Domain.Changes;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Setup;
using IncidentIo.Portal.Setup;
using IncidentIo.Portal.Support;
using IncidentIo.Portal.Tests.Setup;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Identity.Web;

namespace IncidentIo.Portal.Tests.Changes;

/// <summary>
/// A product host on a shared PostgreSQL database, started (so its change listener runs): a
/// "worker" one makes changes, "portal" ones hold subscribers and pages. Counts the commands its
/// contexts send.
/// </summary>
public sealed class ChangeHost : IAsyncDisposable
{
    private readonly string dataFolder;

    private ChangeHost(IHost host, CommandCounter commands, string dataFolder)
    {
        Host = host;
        Commands = commands;
        this.dataFolder = dataFolder;
    }

    public IHost Host { get; }

    public CommandCounter Commands { get; }

    public ChangeFeed Feed => Host.Services.GetRequiredService<ChangeFeed>();

    public ChangeWatcher Watcher => Host.Services.GetRequiredService<ChangeWatcher>();

    public SharedReads SharedReads => Host.Services.GetRequiredService<SharedReads>();

    public PostgresChangeListener Listener => Host.Services.GetRequiredService<PostgresChangeListener>();

    public IncidentIoDbContext NewContext() => Host.Services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>().CreateDbContext();

    public static async Task<ChangeHost> StartAsync(string role, string connectionString, TimeSpan safetyInterval)
    {
        var dataFolder = Directory.CreateTempSubdirectory("incidentio-changes-").FullName;
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration["DataFolder"] = dataFolder;
        builder.Configuration["Database:Provider"] = "Postgres";
        builder.Configuration["ConnectionStrings:IncidentIo"] = connectionString;
        builder.Configuration["Jobs:Mode"] = "Distributed";
        builder.Configuration["Changes:SafetyInterval"] = safetyInterval.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
        builder.AddIncidentIoDomain(role, runJobServer: false);
        builder.Services.AddSetupFlows();
        builder.Services.AddSupportContact(builder.Configuration);
        builder.Services.AddSupportConsole();
        builder.Services.AddSingleton(NoMicrosoftCalls.Create<ITokenAcquisition>());
        var commands = new CommandCounter();
        builder.Services.ConfigureDbContext<PostgresIncidentIoDbContext>(options => options.AddInterceptors(commands));
        var host = builder.Build();
        await host.Services.PrepareIncidentIoAsync();
        await host.StartAsync();
        var started = new ChangeHost(host, commands, dataFolder);
        await Eventually.TrueAsync(() => started.Listener.BackendProcessId != 0, "the change listener connects");
        return started;
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        Host.Dispose();
        Directory.Delete(dataFolder, recursive: true);
    }
}

/// <summary>Every command a context sends to the database.</summary>
public sealed class CommandCounter : DbCommandInterceptor
{
    private long count;

    public long Count => Interlocked.Read(ref count);

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref count);
        return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
    }

    public override ValueTask<InterceptionResult<object>> ScalarExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<object> result, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref count);
        return base.ScalarExecutingAsync(command, eventData, result, cancellationToken);
    }

    public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref count);
        return base.NonQueryExecutingAsync(command, eventData, result, cancellationToken);
    }

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Interlocked.Increment(ref count);
        return base.ReaderExecuting(command, eventData, result);
    }
}

/// <summary>Polls for a condition with a generous limit instead of sleeping a guessed time.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? limit = null)
    {
        var until = DateTimeOffset.UtcNow + (limit ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            if (DateTimeOffset.UtcNow > until)
            {
                throw new TimeoutException($"Gave up waiting until {what}.");
            }

            await Task.Delay(20);
        }
    }
}
