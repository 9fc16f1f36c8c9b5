using System.Data.Common;
using System.Net.Sockets;
using IncidentIo.Domain.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace IncidentIo.Domain.Data;

/// <summary>
/// Applies the provider's migrations at start-up. EF Core takes a database-wide lock while
/// migrating, so several processes starting at once apply each migration exactly once.
/// </summary>
public sealed class DatabaseMigrator(
    IDbContextFactory<IncidentIoDbContext> dbFactory,
    IOptions<DatabaseOptions> options,
    ILogger<DatabaseMigrator> logger)
{
    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            if (pending.Count > 0)
            {
                logger.LogInformation("Applying {Count} database migration(s): {Migrations}", pending.Count, pending);
            }

            await db.Database.MigrateAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is DbException or SocketException or TimeoutException or InvalidOperationException
                                          && IsConnectionFailure(exception))
        {
            throw new StartupException(
                $"the {options.Value.Provider} database cannot be reached ({Where()}): {Innermost(exception).Message}", exception);
        }
    }

    private static bool IsConnectionFailure(Exception exception) =>
        exception is NpgsqlException or SqliteException or SocketException or TimeoutException ||
        exception.InnerException is { } inner && IsConnectionFailure(inner);

    private static Exception Innermost(Exception exception) =>
        exception.InnerException is { } inner ? Innermost(inner) : exception;

    private string Where()
    {
        var connectionString = options.Value.ConnectionString;
        if (options.Value.IsPostgres)
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            return $"host {builder.Host}, port {builder.Port}, database {builder.Database}";
        }

        return connectionString is null ? "data folder" : new SqliteConnectionStringBuilder(connectionString).DataSource;
    }
}
