using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Hosting;

/// <summary><c>Database:*</c> and <c>ConnectionStrings:IncidentIo</c>.</summary>
public sealed class DatabaseOptions
{
    public const string Section = "Database";
    public const string Sqlite = "Sqlite";
    public const string Postgres = "Postgres";

    /// <summary><c>Sqlite</c> (embedded default) or <c>Postgres</c>.</summary>
    public string Provider { get; set; } = Sqlite;

    /// <summary>From <c>ConnectionStrings:IncidentIo</c>; for SQLite, defaults to a file in the data folder.</summary>
    public string? ConnectionString { get; set; }

    public bool IsPostgres => string.Equals(Provider, Postgres, StringComparison.OrdinalIgnoreCase);

    public bool IsSqlite => string.Equals(Provider, Sqlite, StringComparison.OrdinalIgnoreCase);
}

/// <summary><c>Jobs:*</c>.</summary>
public sealed class JobsOptions
{
    public const string Section = "Jobs";
    public const string InProcess = "InProcess";
    public const string Distributed = "Distributed";

    /// <summary>
    /// <c>InProcess</c>: in-memory job storage and a job server inside the Portal (one process).
    /// <c>Distributed</c>: PostgreSQL job storage; the Portal only enqueues, Worker processes run jobs.
    /// </summary>
    public string Mode { get; set; } = InProcess;

    /// <summary>Concurrent jobs per job server.</summary>
    public int WorkerCount { get; set; } = 10;

    /// <summary>How often a job server looks for due scheduled and recurring jobs.</summary>
    public TimeSpan SchedulePollingInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Cron expression of the recurring heartbeat.</summary>
    public string HeartbeatSchedule { get; set; } = "*/5 * * * *";

    /// <summary>Heartbeats operators may ask for per minute, per process: each is a queued job.</summary>
    public int OnDemandHeartbeatsPerMinute { get; set; } = 30;

    public bool IsDistributed => string.Equals(Mode, Distributed, StringComparison.OrdinalIgnoreCase);

    public bool IsInProcess => string.Equals(Mode, InProcess, StringComparison.OrdinalIgnoreCase);
}

/// <summary><c>Microsoft:*</c>.</summary>
public sealed class MicrosoftOptions
{
    public const string Section = "Microsoft";
    public const string Sandbox = "Sandbox";
    public const string Live = "Live";

    /// <summary><c>Sandbox</c> (the simulated Microsoft 365, started in-process) or <c>Live</c>.</summary>
    public string Mode { get; set; } = Sandbox;

    /// <summary>Where the Sandbox answers (Sandbox mode). The Portal hosts it there unless <see cref="HostSandbox"/> is false.</summary>
    public string SandboxOrigin { get; set; } = "https://localhost:7443";

    /// <summary>The Portal starts the Sandbox in its own process (the embedded default).</summary>
    public bool HostSandbox { get; set; } = true;

    /// <summary>
    /// The certificate authority whose certificates the Sandbox serves, PEM; trusted by the product's
    /// Microsoft-facing clients in Sandbox mode only. Defaults to the data folder's own authority.
    /// </summary>
    public string? SandboxAuthorityCertificatePath { get; set; }

    /// <summary>
    /// The longest <c>Retry-After</c> we honour from Microsoft; a longer one is cut to this. Work that
    /// would wait longer than a short inline pause is rescheduled rather than slept in a worker.
    /// </summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromMinutes(5);

    public bool IsSandbox => string.Equals(Mode, Sandbox, StringComparison.OrdinalIgnoreCase);

    public bool IsLive => string.Equals(Mode, Live, StringComparison.OrdinalIgnoreCase);
}

/// <summary>Checks the settings together, with messages that name the key to fix.</summary>
public sealed class IncidentIoOptionsValidator :
    IValidateOptions<DatabaseOptions>, IValidateOptions<JobsOptions>, IValidateOptions<MicrosoftOptions>
{
    private readonly IConfiguration configuration;

    // Reads the database provider straight from configuration: resolving another options type
    // from inside a validator would re-enter the options system while it validates.
    public IncidentIoOptionsValidator(IConfiguration configuration) => this.configuration = configuration;

    public ValidateOptionsResult Validate(string? name, DatabaseOptions options)
    {
        if (!options.IsSqlite && !options.IsPostgres)
        {
            return ValidateOptionsResult.Fail(
                $"Database:Provider must be '{DatabaseOptions.Sqlite}' or '{DatabaseOptions.Postgres}', not '{options.Provider}'.");
        }

        if (options.IsPostgres && string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return ValidateOptionsResult.Fail(
                "ConnectionStrings:IncidentIo is required when Database:Provider is 'Postgres'.");
        }

        return ValidateOptionsResult.Success;
    }

    public ValidateOptionsResult Validate(string? name, JobsOptions options)
    {
        var failures = new List<string>();
        if (!options.IsInProcess && !options.IsDistributed)
        {
            failures.Add($"Jobs:Mode must be '{JobsOptions.InProcess}' or '{JobsOptions.Distributed}', not '{options.Mode}'.");
        }
        else if (options.IsDistributed && !new DatabaseOptions { Provider = configuration[$"{DatabaseOptions.Section}:Provider"] ?? DatabaseOptions.Sqlite }.IsPostgres)
        {
            failures.Add("Jobs:Mode 'Distributed' keeps jobs in PostgreSQL: set Database:Provider to 'Postgres'.");
        }

        if (options.WorkerCount is < 1 or > 200)
        {
            failures.Add($"Jobs:WorkerCount must be between 1 and 200, not {options.WorkerCount}.");
        }

        if (options.SchedulePollingInterval < TimeSpan.FromMilliseconds(100) || options.SchedulePollingInterval > TimeSpan.FromMinutes(10))
        {
            failures.Add($"Jobs:SchedulePollingInterval must be between 00:00:00.1 and 00:10:00, not {options.SchedulePollingInterval}.");
        }

        if (string.IsNullOrWhiteSpace(options.HeartbeatSchedule) || options.HeartbeatSchedule.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length is < 5 or > 6)
        {
            failures.Add($"Jobs:HeartbeatSchedule must be a cron expression, not '{options.HeartbeatSchedule}'.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public ValidateOptionsResult Validate(string? name, MicrosoftOptions options)
    {
        if (!options.IsSandbox && !string.Equals(options.Mode, MicrosoftOptions.Live, StringComparison.OrdinalIgnoreCase))
        {
            return ValidateOptionsResult.Fail($"Microsoft:Mode must be '{MicrosoftOptions.Sandbox}' or '{MicrosoftOptions.Live}', not '{options.Mode}'.");
        }

        if (options.IsSandbox && (!Uri.TryCreate(options.SandboxOrigin, UriKind.Absolute, out var origin)
                                  || origin.Scheme != Uri.UriSchemeHttps || origin.AbsolutePath != "/" || !origin.IsLoopback))
        {
            return ValidateOptionsResult.Fail(
                $"Microsoft:SandboxOrigin must be an https origin on this machine, like 'https://localhost:7443', not '{options.SandboxOrigin}'.");
        }

        if (options.MaxRetryAfter < TimeSpan.FromSeconds(1) || options.MaxRetryAfter > TimeSpan.FromHours(1))
        {
            return ValidateOptionsResult.Fail($"Microsoft:MaxRetryAfter must be between 00:00:01 and 01:00:00, not {options.MaxRetryAfter}.");
        }

        return ValidateOptionsResult.Success;
    }
}
