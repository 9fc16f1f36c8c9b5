using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace IncidentIo.Domain.Data;

// Used only by `dotnet ef migrations add`; no database is opened.

internal sealed class SqliteDesignTimeFactory : IDesignTimeDbContextFactory<SqliteIncidentIoDbContext>
{
    public SqliteIncidentIoDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteIncidentIoDbContext>().UseSqlite("Data Source=design-time.db").Options);
}

internal sealed class PostgresDesignTimeFactory : IDesignTimeDbContextFactory<PostgresIncidentIoDbContext>
{
    public PostgresIncidentIoDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresIncidentIoDbContext>().UseNpgsql("Host=localhost;Database=design_time").Options);
}
