using System.Text.Json.Nodes;
using IncidentIo.Sandbox.State;

namespace IncidentIo.Sandbox.Graph;

/// <summary>Graph's <c>user</c> resource: the default property set, and <c>$select</c> projection.</summary>
public static class UserJson
{
    public static readonly string[] DefaultProperties =
        ["businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone", "officeLocation", "preferredLanguage", "surname", "userPrincipalName", "id"];

    private static readonly string[] Selectable = [.. DefaultProperties, "accountEnabled", "userType", "mailNickname"];

    /// <summary>Parses <c>$select</c>; returns the unknown property name when there is one.</summary>
    public static (IReadOnlyList<string> Properties, string? Unknown) ParseSelect(string? select)
    {
        if (string.IsNullOrWhiteSpace(select))
        {
            return (DefaultProperties, null);
        }

        var names = select.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var unknown = names.FirstOrDefault(n => !Selectable.Contains(n, StringComparer.OrdinalIgnoreCase));
        var canonical = names.Select(n => Selectable.FirstOrDefault(s => s.Equals(n, StringComparison.OrdinalIgnoreCase)) ?? n).ToList();
        return (canonical, unknown);
    }

    public static JsonObject Write(User user, IReadOnlyList<string> properties)
    {
        var json = new JsonObject();
        foreach (var property in properties)
        {
            json[property] = property switch
            {
                "businessPhones" => new JsonArray(),
                "displayName" => user.DisplayName,
                "givenName" => user.GivenName,
                "mail" => user.Mail,
                "surname" => user.Surname,
                "userPrincipalName" => user.UserPrincipalName,
                "id" => user.Id.ToString(),
                "accountEnabled" => true,
                "userType" => "Member",
                "mailNickname" => user.UserPrincipalName.Split('@')[0],
                _ => null,
            };
        }

        return json;
    }
}
