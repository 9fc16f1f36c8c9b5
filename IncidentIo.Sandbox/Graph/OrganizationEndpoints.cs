using System.Text.Json.Nodes;
using IncidentIo.Sandbox.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace IncidentIo.Sandbox.Graph;

/// <summary><c>GET /organization</c>: the caller's own tenant, as a one-item collection.</summary>
public static class OrganizationEndpoints
{
    private static readonly Permissions ReadOrganization = new(
        ["User.Read", "Organization.Read.All", "Organization.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All"],
        ["Organization.Read.All", "Organization.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"]);

    public static void MapOrganization(this IEndpointRouteBuilder graph) => graph.MapGet("/organization", Get);

    private static IResult Get(HttpContext http, SandboxRuntime runtime)
    {
        var caller = GraphCaller.Of(http);
        if (!caller.HasAny(ReadOrganization))
        {
            return GraphErrors.Forbidden(http);
        }

        var tenant = runtime.State.FindTenant(caller.TenantId.ToString())!;
        var domains = new JsonArray([.. tenant.VerifiedDomains.Select((d, i) => (JsonNode)new JsonObject
        {
            ["capabilities"] = "Email, OfficeCommunicationsOnline",
            ["isDefault"] = i == 0,
            ["isInitial"] = i == 0,
            ["name"] = d,
            ["type"] = "Managed",
        })]);
        return Results.Json(new JsonObject
        {
            ["@odata.context"] = $"{runtime.Origin}/v1.0/$metadata#organization",
            ["value"] = new JsonArray(new JsonObject
            {
                ["id"] = tenant.Id.ToString(),
                ["displayName"] = tenant.DisplayName,
                ["tenantType"] = "AAD",
                ["countryLetterCode"] = "GB",
                ["preferredLanguage"] = "en",
                ["businessPhones"] = new JsonArray(),
                ["verifiedDomains"] = domains,
            }),
        });
    }
}
