using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace IncidentIo.Domain.Data;

/// <summary>The embedded default's database: one SQLite file in the data folder.</summary>
public sealed class SqliteIncidentIoDbContext(DbContextOptions<SqliteIncidentIoDbContext> options) : IncidentIoDbContext(options)
{
    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite has no date-time type: store instants as sortable numbers so that ordering
        // and comparisons run in the database rather than failing to translate.
        configurationBuilder.Properties<DateTimeOffset>().HaveConversion<DateTimeOffsetToBinaryConverter>();
    }
}
