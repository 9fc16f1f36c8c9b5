using System.Text.Json.Nodes;
using IncidentIo.Sandbox.Entra;
using IncidentIo.Sandbox.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace IncidentIo.Sandbox.Graph;

/// <summary>
/// The OpenID Connect userinfo endpoint, which Entra hosts on Graph (<c>/oidc/userinfo</c>) and
/// names in its discovery document. Takes a delegated Graph token.
/// </summary>
public static class UserInfoEndpoint
{
    public static void MapUserInfo(this IEndpointRouteBuilder app) =>
        app.MapMethods("/oidc/userinfo", ["GET", "POST"], UserInfo).DisableAntiforgery();

    private static IResult UserInfo(HttpContext http, SandboxRuntime runtime)
    {
        var (caller, _) = GraphPipeline.Authenticate(http, runtime);
        var user = caller?.UserId is { } id ? runtime.State.FindUser(id) : null;
        if (caller is null || user is null)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            return Results.Unauthorized();
        }

        var body = new JsonObject
        {
            ["sub"] = TokenFactory.PairwiseSubject(user.Id, caller.ClientId),
            ["name"] = user.DisplayName,
            ["given_name"] = user.GivenName,
            ["family_name"] = user.Surname,
        };
        if (user.Mail is not null)
        {
            body["email"] = user.Mail;
        }

        return Results.Json(body);
    }
}
