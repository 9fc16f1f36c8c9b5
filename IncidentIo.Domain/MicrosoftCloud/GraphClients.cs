using System.Security.Claims;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Graph;
using Microsoft.Identity.Web;

namespace IncidentIo.Domain.MicrosoftCloud;

/// <summary>
/// Graph clients for a tenant (app-only) or a signed-in user (delegated). One HTTP client for
/// all of them, built on the Microsoft HTTP client, so Graph's host reaches the Sandbox in
/// Sandbox mode with the same base address and code as production.
/// </summary>
public sealed class GraphClients(IServiceProvider services, ITokenAcquisition tokens)
{
    public const string GraphScope = "https://graph.microsoft.com/.default";

    private readonly Lazy<HttpClient> http = new(() => GraphClientFactory.Create(finalHandler: MicrosoftHttp.CreateHandler(services)));

    /// <summary>App-only, with the application permissions the tenant's admin granted us.</summary>
    public GraphServiceClient ForTenant(Guid tenantId) =>
        Create(() => tokens.GetAccessTokenForAppAsync(GraphScope, tenant: tenantId.ToString()));

    /// <summary>Delegated, as the signed-in user (Blazor circuits pass the principal: there is no request).</summary>
    public GraphServiceClient ForUser(ClaimsPrincipal user, IEnumerable<string> scopes) =>
        Create(() => tokens.GetAccessTokenForUserAsync(scopes, user: user));

    private GraphServiceClient Create(Func<Task<string>> token) =>
        new(http.Value, GraphTokenProvider.Authentication(_ => token(), services));
}

public static class GraphClientsRegistration
{
    public static IServiceCollection AddGraphClients(this IServiceCollection services) => services.AddSingleton<GraphClients>();
}
