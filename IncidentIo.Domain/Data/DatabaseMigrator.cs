using System.Net.Sockets;
using IncidentIo.Domain.Hosting;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace IncidentIo.Domain.Data;

/// <summary>
/// Applies the provider's migrations at start-up, so that several processes starting at once
/// apply each migration exactly once: on PostgreSQL under an advisory lock held for the whole
/// run (EF Core's own migration lock was seen to let two processes apply the same migration),
/// on SQLite under EF Core's lock table.
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
            await using var migrationLock = options.Value.IsPostgres ? await PostgresMigrationLock.AcquireAsync(options.Value.ConnectionString!, cancellationToken) : null;
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            if (migrationLock is not null)
            {
                // Npgsql's history repository assumes its table exists and reads it, and EF Core logs
                // the "does not exist" that follows as an error before creating it: on a new database
                // an operator's first start would show two errors for nothing (npgsql/efcore.pg#3407,
                // dotnet/efcore#35690). Created first, under the lock, EF Core's own script.
                await db.Database.ExecuteSqlRawAsync(db.GetService<IHistoryRepository>().GetCreateIfNotExistsScript(), cancellationToken);
            }

            var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
            if (pending.Count > 0)
            {
                logger.LogInformation("Applying {Count} database migration(s): {Migrations}", pending.Count, pending);
            }

            await db.Database.MigrateAsync(cancellationToken);
        }
        catch (Exception exception) when (IsConnectionFailure(exception))
        {
            throw new StartupException(
                $"the {options.Value.Provider} database cannot be reached ({Where()}): {Innermost(exception).Message}", exception);
        }
    }

    /// <summary>The database is not there to talk to (as opposed to a migration that failed in it).</summary>
    private static bool IsConnectionFailure(Exception exception) => exception switch
    {
        // 08: connection exception, 28: authorization, 3D000: no such database, 57P03: starting up.
        PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal) || postgres.SqlState.StartsWith("28", StringComparison.Ordinal)
                                      || postgres.SqlState is "3D000" or "57P03",
        NpgsqlException or SocketException or TimeoutException => true,
        SqliteException sqlite => sqlite.SqliteErrorCode is 14 /* SQLITE_CANTOPEN */ or 26 /* SQLITE_NOTADB */,
        _ => exception.InnerException is { } inner && IsConnectionFailure(inner),
    };

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

/// <summary>A session-level advisory lock: released when its connection closes, even if the process dies.</summary>
internal sealed class PostgresMigrationLock : IAsyncDisposable
{
    private const long Key = 0x1_C1DE_4710;
    private readonly NpgsqlConnection connection;

    private PostgresMigrationLock(NpgsqlConnection connection) => this.connection = connection;

    public static async Task<PostgresMigrationLock> AcquireAsync(string connectionString, CancellationToken cancellationToken)
    {
        // Unpooled: a pooled connection goes back to the pool still holding the session's lock.
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand($"SELECT pg_advisory_lock({Key})", connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
            return new PostgresMigrationLock(connection);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await using var command = new NpgsqlCommand($"SELECT pg_advisory_unlock({Key})", connection);
            await command.ExecuteNonQueryAsync();
        }
        finally
        {
            await connection.DisposeAsync();
        }
    }
}
