using IncidentIo.Domain.Changes;
using IncidentIo.Domain.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Data;

public static class DatabaseRegistration
{
    /// <summary>
    /// Registers <see cref="IncidentIoDbContext"/> (scoped) and <see cref="IDbContextFactory{IncidentIoDbContext}"/>
    /// (for Blazor circuits and jobs) on the configured provider.
    /// </summary>
    public static IServiceCollection AddIncidentIoDatabase(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DatabaseOptions>()
            .Bind(configuration.GetSection(DatabaseOptions.Section))
            .Configure(o => o.ConnectionString ??= configuration.GetConnectionString("IncidentIo"))
            .ValidateOnStart();

        // The provider decides which context type (and so which migration set) is registered.
        // An unknown provider gets the SQLite registrations, so the service graph is whole and passes
        // its build-time checks; the options check then stops the start-up before anything is created.
        var provider = configuration[$"{DatabaseOptions.Section}:{nameof(DatabaseOptions.Provider)}"] ?? DatabaseOptions.Sqlite;
        if (string.Equals(provider, DatabaseOptions.Postgres, StringComparison.OrdinalIgnoreCase))
        {
            AddContext<PostgresIncidentIoDbContext>(services, (sp, options) =>
                options.UseNpgsql(sp.GetRequiredService<IOptions<DatabaseOptions>>().Value.ConnectionString)
                    .AddInterceptors(sp.GetRequiredService<ChangeRecorder>()));
        }
        else
        {
            AddContext<SqliteIncidentIoDbContext>(services, (sp, options) =>
                options.UseSqlite(SqliteConnectionString(sp))
                    .AddInterceptors(sp.GetRequiredService<ChangeRecorder>()));
        }

        // Every save announces what it changed once committed (see Changes/).
        services.AddChangeNotifications(configuration);
        services.AddSingleton<DatabaseMigrator>();
        return services;
    }

    private static string SqliteConnectionString(IServiceProvider services)
    {
        var configured = services.GetRequiredService<IOptions<DatabaseOptions>>().Value.ConnectionString;
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }

        // Default: a file in the data folder; a busy timeout because the Portal's request
        // threads and its in-process job server write to the same file.
        var file = services.GetRequiredService<DataFolder>().Ensure("incidentio.db");
        return $"Data Source={file};Default Timeout=30;Pooling=True";
    }

    private static void AddContext<TContext>(IServiceCollection services, Action<IServiceProvider, DbContextOptionsBuilder> configure)
        where TContext : IncidentIoDbContext
    {
        services.AddDbContextFactory<TContext>(configure);
        services.AddSingleton<IDbContextFactory<IncidentIoDbContext>, IncidentIoDbContextFactory<TContext>>();
        services.AddScoped<IncidentIoDbContext>(sp => sp.GetRequiredService<TContext>());
    }

    private sealed class IncidentIoDbContextFactory<TContext>(IDbContextFactory<TContext> inner) : IDbContextFactory<IncidentIoDbContext>
        where TContext : IncidentIoDbContext
    {
        public IncidentIoDbContext CreateDbContext() => inner.CreateDbContext();
    }
}
