using System.Text;
using System.Text.Json.Nodes;
using IncidentIo.Sandbox.Graph;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace IncidentIo.Sandbox.Tests.Pipeline;

/// <summary>
/// The step re-dispatch on its own, against a minimal-API handler that binds a JSON body, as the
/// Teams POST endpoints (installedApps, teams) will.
/// </summary>
public sealed class BatchDispatcherTests
{
    [Fact]
    public async Task A_step_body_binds_to_a_minimal_api_parameter_and_the_query_is_re_escaped()
    {
        using var services = new ServiceCollection().AddLogging().AddRouting().AddSingleton<BatchDispatcher>().BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
        var app = new ApplicationBuilder(services);
        BatchDispatcher.Capture(app);
        var handler = RequestDelegateFactory.Create(
            (Install body, HttpContext http) => Results.Json(new { received = body.AppId, filter = http.Request.Query["$filter"].ToString(), path = http.Request.Path.Value }, statusCode: 201),
            new RequestDelegateFactoryOptions { ServiceProvider = services });
        app.Run(handler.RequestDelegate);
        app.Build();
        var outer = new DefaultHttpContext { RequestServices = services };
        outer.Request.Headers.Authorization = "Bearer x";
        var dispatcher = services.GetRequiredService<BatchDispatcher>();
        var body = Encoding.UTF8.GetBytes("{\"appId\":\"catalog-1\"}");

        var response = await dispatcher.DispatchAsync(outer, new BatchStep(
            "1", "POST", "/users/u1/teamwork/installedApps?$filter=teamsApp/externalId eq 'a b'", [new("Content-Type", "application/json")], body, []));

        Assert.Equal(201, response["status"]!.GetValue<int>());
        Assert.Equal("catalog-1", response["body"]!["received"]!.GetValue<string>());
        Assert.Equal("/v1.0/users/u1/teamwork/installedApps", response["body"]!["path"]!.GetValue<string>());
        Assert.StartsWith("application/json", response["headers"]!["Content-Type"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("teamsApp/externalId eq 'a b'", response["body"]!["filter"]!.GetValue<string>());
        Assert.IsType<JsonObject>(response["body"]);
    }

    public sealed record Install(string AppId);
}
