using IncidentIo.Domain.Users;
using Microsoft.EntityFrameworkCore;

namespace IncidentIo.Domain.Data;

/// <summary>The production database.</summary>
public sealed class PostgresIncidentIoDbContext(DbContextOptions<PostgresIncidentIoDbContext> options) : IncidentIoDbContext(options)
{
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        base.OnModelCreating(modelBuilder);

        // Trigram indexes let ILIKE '%part%' on names and UPNs use an index instead of reading the
        // whole organisation (pg_trgm ships with PostgreSQL's contrib modules). SQLite has no
        // equivalent and reads the organisation's rows.
        modelBuilder.HasPostgresExtension("pg_trgm");
        modelBuilder.Entity<User>(user =>
        {
            user.HasIndex(u => u.DisplayName).HasMethod("gin").HasOperators("gin_trgm_ops").HasDatabaseName("ix_users_display_name_trgm");
            user.HasIndex(u => u.UserPrincipalName).HasMethod("gin").HasOperators("gin_trgm_ops").HasDatabaseName("ix_users_user_principal_name_trgm");
        });
    }
}
