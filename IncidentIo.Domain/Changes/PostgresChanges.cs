using IncidentIo.Domain.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace IncidentIo.Domain.Changes;

/// <summary>PostgreSQL's channel that carries changes between the Portals and Workers of one database.</summary>
public static class PostgresChangeChannel
{
    public const string Name = "incidentio_changes";
}

/// <summary>Production: a change committed by any process reaches every process through <c>pg_notify</c>, this one included (through its listener).</summary>
public sealed partial class PostgresChangePublisher(IOptions<DatabaseOptions> database, ILogger<PostgresChangePublisher> logger) : IChangePublisher
{
    public async Task PublishAsync(IReadOnlyCollection<DataChange> changes, CancellationToken cancellationToken)
    {
        try
        {
            await using var connection = new NpgsqlConnection(database.Value.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT pg_notify(@channel, payload) FROM unnest(@payloads) AS payload", connection);
            command.Parameters.AddWithValue("channel", PostgresChangeChannel.Name);
            command.Parameters.AddWithValue("payloads", changes.Select(c => c.ToPayload()).Distinct().ToArray());
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (NpgsqlException e)
        {
            LogNotPublished(e, changes.Count);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not announce {Count} committed changes; open pages see them at their next safety re-read")]
    private partial void LogNotPublished(Exception exception, int count);
}

/// <summary>
/// One dedicated connection per process that <c>LISTEN</c>s and hands every notification to the
/// <see cref="ChangeFeed"/>. After a drop it reconnects with a doubling delay, and then tells every
/// subscriber to read again once (notifications sent while it was away are gone).
/// </summary>
public sealed partial class PostgresChangeListener(
    ChangeFeed feed, IOptions<DatabaseOptions> database, IOptions<ChangeOptions> options, TimeProvider clock, ILogger<PostgresChangeListener> logger)
    : BackgroundService
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(500);

    private int backendProcessId;
    private int connections;

    /// <summary>The server process of the listening connection; 0 while disconnected.</summary>
    public int BackendProcessId => Volatile.Read(ref backendProcessId);

    /// <summary>How many times the listener has connected (1 after the start, +1 per reconnect).</summary>
    public int Connections => Volatile.Read(ref connections);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var connectionString = new NpgsqlConnectionStringBuilder(database.Value.ConnectionString)
        {
            // Its own physical connection, never lent to anyone else; keepalives notice a silent network drop.
            Pooling = false,
            KeepAlive = 15,
            ApplicationName = "incidentio-changes",
        }.ConnectionString;
        var delay = FirstRetryDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                await connection.OpenAsync(stoppingToken);
                connection.Notification += (_, e) =>
                {
                    if (DataChange.TryParse(e.Payload, out var change))
                    {
                        feed.Deliver(change);
                    }
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {PostgresChangeChannel.Name}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                Volatile.Write(ref backendProcessId, connection.ProcessID);
                if (Interlocked.Increment(ref connections) > 1)
                {
                    LogReconnected();
                    feed.DeliverToEveryone();
                }

                delay = FirstRetryDelay;
                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
            {
                Volatile.Write(ref backendProcessId, 0);
                LogDisconnected(e, delay);
                try
                {
                    await Task.Delay(delay, clock, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.Value.MaxRetryDelay.Ticks));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lost the connection that listens for changes; trying again in {Delay}")]
    private partial void LogDisconnected(Exception exception, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Information, Message = "Listening for changes again; open pages read once in case they missed one")]
    private partial void LogReconnected();
}
