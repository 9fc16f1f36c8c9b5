using IncidentIo.Domain.Data;
using Microsoft.EntityFrameworkCore;

namespace IncidentIo.Domain.Tests.Security;

/// <summary>
/// Everything a refused attack must leave as it was: the row count of every table the model maps,
/// every user's activity and role, and the number of jobs queued. Compare two captures as strings.
/// </summary>
public static class StoredState
{
    public static async Task<string> CaptureAsync(IncidentIoDbContext db, int queuedJobs)
    {
        var lines = new List<string>();
        var tables = db.Model.GetEntityTypes().Select(e => e.GetTableName()).OfType<string>().Distinct().Order(StringComparer.Ordinal);
        foreach (var table in tables)
        {
            // Table names come from our own model, never from input.
            var count = await db.Database.SqlQueryRaw<int>(string.Concat("SELECT COUNT(*) AS \"Value\" FROM \"", table, "\"")).SingleAsync();
            lines.Add($"{table}={count}");
        }

        var users = await db.Users.AsNoTracking().OrderBy(u => u.MicrosoftObjectId).Select(u => new { u.MicrosoftObjectId, u.IsActive, u.Role }).ToListAsync();
        lines.AddRange(users.Select(u => $"{u.MicrosoftObjectId}:{u.IsActive}:{u.Role}"));
        lines.Add($"jobs={queuedJobs}");
        return string.Join('\n', lines);
    }
}
