using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Tests.Infrastructure;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using User = Microsoft.Graph.Models.User;

namespace IncidentIo.Sandbox.Tests.Pipeline;

[Collection(SharedSandbox.Name)]
public sealed class BatchTests(SandboxFixture sandbox)
{
    [Fact]
    public async Task Sdk_batch_runs_each_step_and_reads_typed_responses()
    {
        var graph = AppGraph();
        var batch = new BatchRequestContentCollection(graph);
        var byId = await batch.AddBatchRequestStepAsync(graph.Users[DemoSeed.AdminId.ToString()].ToGetRequestInformation());
        var byFilter = await batch.AddBatchRequestStepAsync(graph.Users.ToGetRequestInformation(r =>
        {
            r.QueryParameters.Filter = "userPrincipalName eq 'user@contoso.example'";
            r.QueryParameters.Select = ["id", "displayName"];
        }));
        var organization = await batch.AddBatchRequestStepAsync(graph.Organization.ToGetRequestInformation());

        var responses = await graph.Batch.PostAsync(batch);

        var statuses = await responses.GetResponsesStatusCodesAsync();
        Assert.All(statuses.Values, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal("Adele Admin", (await responses.GetResponseByIdAsync<User>(byId)).DisplayName);
        var filtered = await responses.GetResponseByIdAsync<UserCollectionResponse>(byFilter);
        Assert.Equal("Uma User", Assert.Single(filtered.Value!).DisplayName);
        Assert.Equal("Contoso", Assert.Single((await responses.GetResponseByIdAsync<OrganizationCollectionResponse>(organization)).Value!).DisplayName);
    }

    [Fact]
    public async Task Sdk_splits_more_than_twenty_steps_into_several_batches_that_all_succeed()
    {
        var graph = AppGraph();
        var batch = new BatchRequestContentCollection(graph);
        var ids = new List<string>();
        for (var i = 0; i < 25; i++)
        {
            ids.Add(await batch.AddBatchRequestStepAsync(graph.Users[DemoSeed.UserId.ToString()].ToGetRequestInformation()));
        }

        var statuses = await (await graph.Batch.PostAsync(batch)).GetResponsesStatusCodesAsync();

        Assert.Equal(ids.Order(), statuses.Keys.Order());
        Assert.All(statuses.Values, s => Assert.Equal(HttpStatusCode.OK, s));
    }

    [Fact]
    public async Task More_than_twenty_requests_is_400_in_graphs_envelope()
    {
        var requests = Enumerable.Range(1, 21).Select(i => Step($"{i}", "/organization")).ToArray();

        var (status, body) = await PostBatchAsync(await TokenAsync(), requests);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("BadRequest", body["error"]!["code"]!.GetValue<string>());
        Assert.Contains("20", body["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);

        var (twenty, _) = await PostBatchAsync(await TokenAsync(), [.. requests.Take(20).Select(r => r.DeepClone().AsObject())]);
        Assert.Equal(HttpStatusCode.OK, twenty);
    }

    [Fact]
    public async Task Duplicate_ids_ignoring_case_and_unknown_dependencies_are_400()
    {
        var token = await TokenAsync();

        var (duplicate, body) = await PostBatchAsync(token, [Step("a", "/organization"), Step("A", "/organization")]);
        var (unknown, _) = await PostBatchAsync(token, [Step("1", "/organization", dependsOn: ["9"])]);
        var (malformed, _) = await PostRawAsync(token, "{\"requests\": 5}");

        Assert.Equal(HttpStatusCode.BadRequest, duplicate);
        Assert.Equal("Request Id A has to be unique in a batch.", body["error"]!["message"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, unknown);
        Assert.Equal(HttpStatusCode.BadRequest, malformed);
    }

    [Fact]
    public async Task A_failed_prerequisite_gives_424_to_its_dependants_and_independent_steps_still_run()
    {
        var (status, body) = await PostBatchAsync(await TokenAsync(),
        [
            Step("1", "/users/nobody@contoso.example"),
            Step("2", "/organization", dependsOn: ["1"]),
            Step("3", "/users/user@contoso.example", dependsOn: ["2"]),
            Step("4", "/users/admin@contoso.example"),
            Step("5", "/organization", dependsOn: ["4"]),
        ]);

        Assert.Equal(HttpStatusCode.OK, status);
        var byId = Responses(body);
        Assert.Equal(404, byId["1"]["status"]!.GetValue<int>());
        Assert.Equal("Request_ResourceNotFound", byId["1"]["body"]!["error"]!["code"]!.GetValue<string>());
        Assert.Equal(424, byId["2"]["status"]!.GetValue<int>());
        Assert.Equal(424, byId["3"]["status"]!.GetValue<int>());
        Assert.Equal(200, byId["4"]["status"]!.GetValue<int>());
        Assert.Equal(200, byId["5"]["status"]!.GetValue<int>());
    }

    [Fact]
    public async Task Mixed_statuses_per_step_with_403_for_a_missing_permission()
    {
        var app = sandbox.RegisterApp(a => a with { ApplicationPermissions = ["Organization.Read.All"] });
        sandbox.GrantAdminConsent(app, DemoSeed.ContosoTenantId);
        var token = await sandbox.AppTokenAsync(app, DemoSeed.ContosoTenantId);

        var (status, body) = await PostBatchAsync(token,
        [
            Step("org", "/organization"),
            Step("users", "/users"),
            Step("me", "/me"),
            Step("nowhere", "/nowhere"),
            Step("wrong-method", "/users", method: "POST", body: new JsonObject { ["displayName"] = "x" }),
        ]);

        Assert.Equal(HttpStatusCode.OK, status);
        var byId = Responses(body);
        Assert.Equal(200, byId["org"]["status"]!.GetValue<int>());
        Assert.StartsWith("application/json", byId["org"]["headers"]!["Content-Type"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(403, byId["users"]["status"]!.GetValue<int>());
        Assert.Equal("Authorization_RequestDenied", byId["users"]["body"]!["error"]!["code"]!.GetValue<string>());
        Assert.Equal(400, byId["me"]["status"]!.GetValue<int>());
        Assert.Equal(400, byId["nowhere"]["status"]!.GetValue<int>());
        Assert.Equal(405, byId["wrong-method"]["status"]!.GetValue<int>());
        Assert.False(string.IsNullOrEmpty(byId["users"]["body"]!["error"]!["innerError"]!["request-id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Sdk_reads_a_failed_step_as_ODataError_given_the_error_mapping()
    {
        var graph = AppGraph();
        var batch = new BatchRequestContentCollection(graph);
        var missing = await batch.AddBatchRequestStepAsync(graph.Users["nobody@contoso.example"].ToGetRequestInformation());

        var plain = await graph.Batch.PostAsync(batch);
        var mapped = await graph.Batch.PostAsync(batch, default, new() { ["4XX"] = ODataError.CreateFromDiscriminatorValue, ["5XX"] = ODataError.CreateFromDiscriminatorValue });

        // Without a mapping the SDK gives a ServiceException carrying the step's status and body.
        var unmapped = await Assert.ThrowsAsync<ServiceException>(() => plain.GetResponseByIdAsync<User>(missing));
        Assert.Equal(404, unmapped.ResponseStatusCode);
        Assert.Contains("Request_ResourceNotFound", unmapped.RawResponseBody, StringComparison.Ordinal);
        var error = await Assert.ThrowsAsync<ODataError>(() => mapped.GetResponseByIdAsync<User>(missing));
        Assert.Equal("Request_ResourceNotFound", error.Error!.Code);
    }

    [Fact]
    public async Task The_batch_needs_a_valid_token_and_steps_use_it()
    {
        var (status, _) = await PostBatchAsync("not-a-token", [Step("1", "/organization")]);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
    }

    [Fact]
    public async Task Absolute_and_nested_batch_urls_are_refused_per_step()
    {
        var (status, body) = await PostBatchAsync(await TokenAsync(),
        [
            Step("abs", "https://graph.microsoft.com/v1.0/organization"),
            Step("nested", "/$batch", method: "POST", body: new JsonObject { ["requests"] = new JsonArray() }),
            Step("no-slash", "organization"),
        ]);

        Assert.Equal(HttpStatusCode.OK, status);
        var byId = Responses(body);
        Assert.Equal(400, byId["abs"]["status"]!.GetValue<int>());
        Assert.Equal(400, byId["nested"]["status"]!.GetValue<int>());
        Assert.Equal(400, byId["no-slash"]["status"]!.GetValue<int>());
    }

    private GraphServiceClient AppGraph()
    {
        var app = sandbox.RegisterApp();
        sandbox.GrantAdminConsent(app, DemoSeed.ContosoTenantId);
        return sandbox.Graph(() => sandbox.AppTokenAsync(app, DemoSeed.ContosoTenantId));
    }

    private async Task<string> TokenAsync()
    {
        var app = sandbox.RegisterApp();
        sandbox.GrantAdminConsent(app, DemoSeed.ContosoTenantId);
        return await sandbox.AppTokenAsync(app, DemoSeed.ContosoTenantId);
    }

    internal static JsonObject Step(string id, string url, string method = "GET", string[]? dependsOn = null, JsonObject? body = null)
    {
        var step = new JsonObject { ["id"] = id, ["method"] = method, ["url"] = url };
        if (dependsOn is not null)
        {
            step["dependsOn"] = new JsonArray([.. dependsOn.Select(d => (JsonNode)d)]);
        }

        if (body is not null)
        {
            step["headers"] = new JsonObject { ["Content-Type"] = "application/json" };
            step["body"] = body;
        }

        return step;
    }

    internal static Dictionary<string, JsonNode> Responses(JsonObject body) =>
        body["responses"]!.AsArray().ToDictionary(r => r!["id"]!.GetValue<string>(), r => r!);

    private Task<(HttpStatusCode, JsonObject)> PostBatchAsync(string token, JsonObject[] requests) =>
        PostRawAsync(token, new JsonObject { ["requests"] = new JsonArray([.. requests.Select(r => r.DeepClone())]) }.ToJsonString());

    private async Task<(HttpStatusCode, JsonObject)> PostRawAsync(string token, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1.0/$batch") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Bearer", token);
        using var response = await sandbox.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 ? JsonNode.Parse(text)!.AsObject() : []);
    }
}
