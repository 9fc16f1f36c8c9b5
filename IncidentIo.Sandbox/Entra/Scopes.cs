namespace IncidentIo.Sandbox.Entra;

/// <summary>
/// A parsed <c>scope</c> parameter: the OpenID Connect scopes, and the scopes of the one resource
/// they ask for. Short names (<c>User.Read</c>) mean Microsoft Graph, as in Entra.
/// </summary>
public sealed record Scopes(IReadOnlyList<string> Raw, IReadOnlyList<string> Oidc, IReadOnlyList<string> Resources, IReadOnlyList<string> ResourceScopes)
{
    public const string Graph = "https://graph.microsoft.com";
    public const string GraphAppId = "00000003-0000-0000-c000-000000000000";

    private static readonly string[] OidcNames = ["openid", "profile", "email", "offline_access"];

    public bool OpenId => Oidc.Contains("openid");

    public bool OfflineAccess => Oidc.Contains("offline_access");

    /// <summary>The single resource asked for; Graph when only OIDC scopes were asked for.</summary>
    public string Resource => Resources.Count > 0 ? Resources[0] : Graph;

    public bool IsDefault => ResourceScopes.Contains(".default");

    /// <summary>What the token response's <c>scope</c> echoes: the resource scopes as requested.</summary>
    public string ResponseScope => string.Join(' ', Raw.Where(s => !OidcNames.Contains(s, StringComparer.OrdinalIgnoreCase)));

    public static Scopes Parse(string? scope)
    {
        var raw = (scope ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var oidc = raw.Where(s => OidcNames.Contains(s, StringComparer.OrdinalIgnoreCase)).Select(s => s.ToLowerInvariant()).ToList();
        var resources = new List<string>();
        var resourceScopes = new List<string>();
        foreach (var s in raw.Except(oidc, StringComparer.OrdinalIgnoreCase))
        {
            var (resource, name) = Split(s);
            if (!resources.Contains(resource, StringComparer.OrdinalIgnoreCase))
            {
                resources.Add(resource);
            }

            resourceScopes.Add(name);
        }

        return new Scopes(raw, oidc, resources, resourceScopes);
    }

    private static (string Resource, string Name) Split(string scope)
    {
        var slash = scope.LastIndexOf('/');
        if (slash <= 0)
        {
            return (Graph, scope);
        }

        var resource = scope[..slash];
        var name = scope[(slash + 1)..];
        return (IsGraph(resource) ? Graph : resource, name);
    }

    public static bool IsGraph(string resource) =>
        resource.TrimEnd('/').Equals(Graph, StringComparison.OrdinalIgnoreCase) || resource.Equals(GraphAppId, StringComparison.OrdinalIgnoreCase);
}
