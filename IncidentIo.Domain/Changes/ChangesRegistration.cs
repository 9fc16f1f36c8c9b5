using IncidentIo.Domain.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Changes;

public static class ChangesRegistration
{
    /// <summary>
    /// The change notifier: in-process for the embedded default, PostgreSQL <c>LISTEN/NOTIFY</c>
    /// (one listening connection per process) when <c>Database:Provider</c> is Postgres.
    /// </summary>
    public static IServiceCollection AddChangeNotifications(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ChangeOptions>().Bind(configuration.GetSection(ChangeOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ChangeOptions>, ChangeOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ChangeFeed>();
        services.AddSingleton<ChangeWatcher>();
        services.AddSingleton<SharedReads>();
        services.AddSingleton<ChangeRecorder>();

        var provider = configuration[$"{DatabaseOptions.Section}:{nameof(DatabaseOptions.Provider)}"] ?? DatabaseOptions.Sqlite;
        if (new DatabaseOptions { Provider = provider }.IsPostgres)
        {
            services.AddSingleton<IChangePublisher, PostgresChangePublisher>();
            services.AddSingleton<PostgresChangeListener>();
            services.AddHostedService(sp => sp.GetRequiredService<PostgresChangeListener>());
        }
        else
        {
            services.AddSingleton<IChangePublisher, InProcessChangePublisher>();
        }

        return services;
    }
}
