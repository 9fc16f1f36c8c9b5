using Microsoft.EntityFrameworkCore;

namespace IncidentIo.Domain.Users;

/// <summary>Finding people by any part of their name or UPN, in any case, in the database.</summary>
public static class UserSearch
{
    public const string LikeEscape = "\\";

    /// <summary>The users whose display name or UPN contains <paramref name="search"/>; all of them without one.</summary>
    /// <param name="postgres">
    /// On PostgreSQL the search is ILIKE on the columns themselves, which the pg_trgm indexes
    /// serve; SQLite compares lower-cased copies and reads the organisation's rows.
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

        // Lower-cased on both sides: SQLite's LIKE ignores ASCII case but PostgreSQL's does not.
        var pattern = ContainsPattern(text);
#pragma warning disable CA1304, CA1311 // Translated to SQL lower(): it runs in the database, where .NET cultures do not apply.
        return users.Where(u => EF.Functions.Like(u.DisplayName.ToLower(), pattern, LikeEscape)
                                || (u.UserPrincipalName != null && EF.Functions.Like(u.UserPrincipalName.ToLower(), pattern, LikeEscape)));
#pragma warning restore CA1304, CA1311
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
