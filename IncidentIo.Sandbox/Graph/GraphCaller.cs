using Microsoft.AspNetCore.Http;

namespace IncidentIo.Sandbox.Graph;

/// <summary>Who is calling Graph, from a validated token: an app alone, or an app for a user.</summary>
public sealed record GraphCaller(Guid TenantId, string ClientId, Guid? UserId, IReadOnlySet<string> Roles, IReadOnlySet<string> Scopes)
{
    private const string ItemKey = "sandbox.graph.caller";

    public bool IsAppOnly => UserId is null;

    /// <summary>True when the token carries any of the permissions (roles for app-only, scp for delegated).</summary>
    public bool HasAny(Permissions permissions) =>
        IsAppOnly ? permissions.Application.Any(Roles.Contains) : permissions.Delegated.Any(Scopes.Contains);

    public static GraphCaller Of(HttpContext http) => (GraphCaller)http.Items[ItemKey]!;

    public void AttachTo(HttpContext http) => http.Items[ItemKey] = this;
}

/// <summary>The permissions that allow one Graph operation, as its reference page lists them.</summary>
public sealed record Permissions(IReadOnlyList<string> Delegated, IReadOnlyList<string> Application);
