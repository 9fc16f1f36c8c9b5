using System.Diagnostics;
using Npgsql;

namespace IncidentIo.Testing;

/// <summary>
/// A throwaway PostgreSQL cluster for one test process: initdb into a temp folder, started on a
/// free loopback port with durability switched off for speed, stopped and removed by a watchdog
/// once the test process is gone.
/// Each test class asks for a database of its own.
/// </summary>
public sealed class PostgresCluster
{
    private static readonly Lazy<Task<PostgresCluster>> Shared = new(StartAsync);

    private PostgresCluster(int port) => Port = port;

    public int Port { get; }

    public string AdminConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false";

    /// <summary>The cluster of this test process, started on first use.</summary>
    public static Task<PostgresCluster> GetAsync() => Shared.Value;

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        // PostgreSQL names are at most 63 bytes: 30 of prefix, '_', 32 of guid.
        var name = $"{new string(prefix.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(30).ToArray())}_{Guid.NewGuid():N}";
        await using var connection = new NpgsqlConnection(AdminConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return $"Host=127.0.0.1;Port={Port};Username=postgres;Database={name};Maximum Pool Size=20";
    }

    private static async Task<PostgresCluster> StartAsync()
    {
        RemoveAbandonedClusters();
        var bin = FindBinFolder();
        var root = Path.Combine(Path.GetTempPath(), $"incidentio-pg-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(root);
        await File.WriteAllTextAsync(Path.Combine(root, "owner.pid"), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            // initdb refuses to run as root: the cluster belongs to the postgres account.
            await RunAsync("chown", ["-R", "postgres:postgres", root]);
        }

        var data = Path.Combine(root, "data");
        await RunPostgresToolAsync(asRoot, Path.Combine(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--locale=C"]);

        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort.Next();
            var settings = $"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off " +
                           "-c full_page_writes=off -c max_connections=400 -c shared_buffers=64MB";
            try
            {
                await RunPostgresToolAsync(asRoot, Path.Combine(bin, "pg_ctl"), ["-D", data, "-o", settings, "-l", Path.Combine(root, "postgres.log"), "-w", "-t", "60", "start"]);
                var cluster = new PostgresCluster(port);
                StartWatchdog(asRoot, bin, root);
                return cluster;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                // Port taken between choosing and binding: try another.
            }
        }
    }

    /// <summary>
    /// Stops and removes the cluster once this test process is gone, however it ends (test hosts
    /// are often killed rather than left to exit, so an exit handler is not enough).
    /// </summary>
    private static void StartWatchdog(bool asRoot, string bin, string root)
    {
        var pgCtl = $"{Path.Combine(bin, "pg_ctl")} -D {Path.Combine(root, "data")} -m immediate -w stop";
        var stop = asRoot ? $"runuser -u postgres -- {pgCtl}" : pgCtl;
        var script = $"while kill -0 {Environment.ProcessId} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf {root}";
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "sh", "-c", script })
        {
            start.ArgumentList.Add(argument);
        }

        Process.Start(start)?.Dispose();
    }

    /// <summary>Clusters left by test processes that were killed: stop them and free the disk.</summary>
    private static void RemoveAbandonedClusters()
    {
        foreach (var folder in Directory.EnumerateDirectories(Path.GetTempPath(), "incidentio-pg-*"))
        {
            var pidFile = Path.Combine(folder, "owner.pid");
            if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile), out var pid) && IsAlive(pid))
            {
                continue;
            }

            var postmasterPid = Path.Combine(folder, "data", "postmaster.pid");
            if (File.Exists(postmasterPid) && int.TryParse(File.ReadLines(postmasterPid).FirstOrDefault(), out var postmaster) && IsAlive(postmaster))
            {
                try
                {
                    Process.GetProcessById(postmaster).Kill();
                }
                catch (InvalidOperationException)
                {
                    // Gone meanwhile.
                }
            }

            TryDelete(folder);
        }
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            return !Process.GetProcessById(pid).HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string FindBinFolder()
    {
        if (Environment.GetEnvironmentVariable("INCIDENTIO_PG_BIN") is { Length: > 0 } configured)
        {
            return configured;
        }

        const string debianRoot = "/usr/lib/postgresql";
        var candidates = Directory.Exists(debianRoot)
            ? Directory.EnumerateDirectories(debianRoot)
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .ToList()
            : [];
        return candidates.FirstOrDefault()
               ?? throw new InvalidOperationException(
                   "PostgreSQL server binaries (initdb, pg_ctl) were not found under /usr/lib/postgresql. " +
                   "Run tests/run.sh, which installs them, or set INCIDENTIO_PG_BIN.");
    }

    private static Task RunPostgresToolAsync(bool asRoot, string tool, IReadOnlyList<string> arguments) =>
        asRoot ? RunAsync("runuser", ["-u", "postgres", "--", tool, .. arguments]) : RunAsync(tool, arguments);

    private static async Task RunAsync(string fileName, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{fileName} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await error}{await output}");
        }
    }
}
