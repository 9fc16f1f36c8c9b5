using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query.SqlExpressions;

namespace IncidentIo.Domain.Data;

/// <summary>
/// Id comparisons for keyset paging, translated to SQL's &lt; and &gt;: C# has no ordering operators
/// on <see cref="Guid"/>. Each database compares ids its own way (uuid order on PostgreSQL, text on
/// SQLite), which is also how it sorts them, so pages line up with the ORDER BY.
/// </summary>
public static class KeysetFunctions
{
    public static bool IdAfter(Guid id, Guid cursor) => throw new InvalidOperationException("Runs in the database only.");

    public static bool IdBefore(Guid id, Guid cursor) => throw new InvalidOperationException("Runs in the database only.");

    internal static void Register(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDbFunction(typeof(KeysetFunctions).GetMethod(nameof(IdAfter))!)
            .HasTranslation(args => new SqlBinaryExpression(ExpressionType.GreaterThan, args[0], args[1], typeof(bool), null));
        modelBuilder.HasDbFunction(typeof(KeysetFunctions).GetMethod(nameof(IdBefore))!)
            .HasTranslation(args => new SqlBinaryExpression(ExpressionType.LessThan, args[0], args[1], typeof(bool), null));
    }
}
