using Microsoft.EntityFrameworkCore;

namespace IncidentIo.Domain.Users;

/// <summary>Finding people by any part of their name or UPN, in any case, in the database.</summary>
public static class UserSearch
{
    public const string LikeEscape = "\\";

    /// <summary>The users whose display name or UPN contains <paramref name="search"/>; all of them without one.</summary>
    /// <param name="postgres">
    /// On PostgreSQL the search is ILIKE on the columns themselves, which the pg_trgm indexes
    /// serve; on SQLite it is LIKE, which reads the organisation's rows.
    /// </param>
    public static IQueryable<User> Matching(this IQueryable<User> users, string? search, bool postgres)
    {
        if (search?.Trim() is not { Length: > 0 } text)
        {
            return users;
        }

        if (postgres)
        {
            var insensitive = ContainsPattern(text);
            return users.Where(u => EF.Functions.ILike(u.DisplayName, insensitive, LikeEscape)
                                    || (u.UserPrincipalName != null && EF.Functions.ILike(u.UserPrincipalName, insensitive, LikeEscape)));
        }

        // SQLite's LIKE ignores ASCII case by itself. Its lower() folds ASCII only too, so lower-casing
        // the columns as well would match nothing more and cost a call per row (the search reads
        // every row of the organisation here).
        var pattern = ContainsPattern(text);
        return users.Where(u => EF.Functions.Like(u.DisplayName, pattern, LikeEscape)
                                || (u.UserPrincipalName != null && EF.Functions.Like(u.UserPrincipalName, pattern, LikeEscape)));
    }

    /// <summary>A LIKE pattern for "contains <paramref name="text"/>", lower-cased, with LIKE's own characters escaped.</summary>
    public static string ContainsPattern(string text)
    {
        var escaped = text.ToLowerInvariant()
            .Replace(LikeEscape, LikeEscape + LikeEscape, StringComparison.Ordinal)
            .Replace("%", LikeEscape + "%", StringComparison.Ordinal)
            .Replace("_", LikeEscape + "_", StringComparison.Ordinal);
        return $"%{escaped}%";
    }
}
