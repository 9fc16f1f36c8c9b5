using IncidentIo.Domain;
using IncidentIo.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace IncidentIo.Portal.Tests.Operations;

/// <summary>
/// An operator's first start of a process on a new PostgreSQL database, and the next one, read no
/// errors: creating the schema is not a failure.
/// </summary>
public sealed class FirstStartLoggingTests
{
    [Fact]
    public async Task Starting_on_a_new_postgres_database_and_again_logs_no_errors()
    {
        var cluster = await PostgresCluster.GetAsync();
        var database = await cluster.CreateDatabaseAsync("firststart");

        foreach (var start in new[] { "first", "second" })
        {
            var log = new LogCapture();
            var dataFolder = Directory.CreateTempSubdirectory("incidentio-firststart-").FullName;
            var builder = Host.CreateApplicationBuilder();
            builder.Configuration["DataFolder"] = dataFolder;
            builder.Configuration["Database:Provider"] = "Postgres";
            builder.Configuration["ConnectionStrings:IncidentIo"] = database;
            builder.Configuration["Jobs:Mode"] = "Distributed";
            builder.AddIncidentIoDomain("worker", runJobServer: false);
            builder.Logging.AddProvider(log);
            using (var host = builder.Build())
            {
                await host.Services.PrepareIncidentIoAsync();
            }

            Directory.Delete(dataFolder, recursive: true);
            // The capture hears the start: the first one applies the migrations, the second has none to apply.
            Assert.Equal(start == "first", log.Entries.Any(e => e.Message.StartsWith("Applying ", StringComparison.Ordinal) && e.Message.Contains("database migration(s)", StringComparison.Ordinal)));
            Assert.Empty(log.Entries.Where(e => e.Level >= LogLevel.Error).Select(e => $"{start} start: {e.Category}: {e.Message}"));
        }
    }
}
