using Microsoft.EntityFrameworkCore;

namespace IncidentIo.Domain.Data;

/// <summary>The production database.</summary>
public sealed class PostgresIncidentIoDbContext(DbContextOptions<PostgresIncidentIoDbContext> options) : IncidentIoDbContext(options);
