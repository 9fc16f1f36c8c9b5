using System.Net;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Tests.Infrastructure;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using User = Microsoft.Graph.Models.User;

namespace IncidentIo.Sandbox.Tests.Graph;

[Collection(SharedSandbox.Name)]
public sealed class GraphUsersTests(SandboxFixture sandbox)
{
    [Fact]
    public async Task Page_iterator_follows_next_links_on_the_sandbox_host()
    {
        var graph = AppGraph();
        var first = await graph.Users.GetAsync(r => r.QueryParameters.Top = 5);
        Assert.StartsWith($"{sandbox.Origin}/v1.0/users?", first!.OdataNextLink, StringComparison.Ordinal);

        var users = new List<User>();
        var pages = 1;
        var iterator = PageIterator<User, UserCollectionResponse>.CreatePageIterator(graph, first, u =>
        {
            users.Add(u);
            return true;
        }, request =>
        {
            pages++;
            return request;
        });
        await iterator.IterateAsync();

        Assert.Equal(DemoSeed.ContosoUserCount, users.Count);
        Assert.Equal(users.Count, users.Select(u => u.Id).Distinct().Count());
        Assert.Equal((DemoSeed.ContosoUserCount + 4) / 5, pages);
        Assert.All(users, u => Assert.EndsWith("@contoso.example", u.UserPrincipalName, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Filter_by_upn_and_by_display_name_prefix()
    {
        var graph = AppGraph();

        var byUpn = await graph.Users.GetAsync(r => r.QueryParameters.Filter = "userPrincipalName eq 'user@contoso.example'");
        var byPrefix = await graph.Users.GetAsync(r =>
        {
            r.QueryParameters.Filter = "startswith(displayName,'L')";
            r.QueryParameters.Select = ["id", "displayName"];
        });

        Assert.Equal(DemoSeed.UserId.ToString(), Assert.Single(byUpn!.Value!).Id);
        Assert.Equal(["Lena Loner", "Lidia Holloway", "Lou Loner", "Lynne Robbins"], byPrefix!.Value!.Select(u => u.DisplayName).Order());
        Assert.All(byPrefix.Value!, u => Assert.Null(u.UserPrincipalName));
    }

    [Fact]
    public async Task Paging_keeps_the_filter()
    {
        var graph = AppGraph();
        var first = await graph.Users.GetAsync(r =>
        {
            r.QueryParameters.Filter = "startswith(displayName,'L')";
            r.QueryParameters.Top = 3;
        });
        var second = await graph.Users.WithUrl(first!.OdataNextLink!).GetAsync();

        Assert.Equal(3, first.Value!.Count);
        Assert.Single(second!.Value!);
        Assert.Null(second.OdataNextLink);
    }

    [Fact]
    public async Task Orderby_and_count()
    {
        var graph = AppGraph();

        var page = await graph.Users.GetAsync(r =>
        {
            r.QueryParameters.Orderby = ["displayName desc"];
            r.QueryParameters.Count = true;
            r.QueryParameters.Top = 2;
            r.Headers.Add("ConsistencyLevel", "eventual");
        });

        Assert.Equal(DemoSeed.ContosoUserCount, page!.OdataCount);
        Assert.Equal("Uma User", page.Value![0].DisplayName);
        Assert.Contains("$orderby=displayName%20desc", page.OdataNextLink, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_by_upn_and_by_id()
    {
        var graph = AppGraph();

        var byUpn = await graph.Users["admin@contoso.example"].GetAsync();
        var byId = await graph.Users[DemoSeed.AdminId.ToString()].GetAsync();

        Assert.Equal(DemoSeed.AdminId.ToString(), byUpn!.Id);
        Assert.Equal("Adele Admin", byId!.DisplayName);
        Assert.Equal("admin@contoso.example", byId.Mail);
    }

    [Fact]
    public async Task Unknown_user_is_404_Request_ResourceNotFound()
    {
        var graph = AppGraph();

        var error = await Assert.ThrowsAsync<ODataError>(() => graph.Users["nobody@contoso.example"].GetAsync());

        Assert.Equal(404, error.ResponseStatusCode);
        Assert.Equal("Request_ResourceNotFound", error.Error!.Code);
        Assert.Contains("nobody@contoso.example", error.Error.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(error.Error.InnerError!.RequestId));
        Assert.NotNull(error.Error.InnerError.Date);
    }

    [Fact]
    public async Task A_user_of_another_tenant_is_not_found()
    {
        var error = await Assert.ThrowsAsync<ODataError>(() => AppGraph().Users["staff@incidentio.example"].GetAsync());

        Assert.Equal(404, error.ResponseStatusCode);
    }

    [Fact]
    public async Task Without_the_permission_users_are_403_Authorization_RequestDenied()
    {
        var graph = AppGraph(app => app with { ApplicationPermissions = ["Organization.Read.All"] });

        var error = await Assert.ThrowsAsync<ODataError>(() => graph.Users.GetAsync());

        Assert.Equal(403, error.ResponseStatusCode);
        Assert.Equal("Authorization_RequestDenied", error.Error!.Code);
        Assert.Equal("Insufficient privileges to complete the operation.", error.Error.Message);
    }

    [Fact]
    public async Task Me_with_a_delegated_token_and_refused_app_only()
    {
        var app = sandbox.RegisterApp();
        sandbox.GrantAdminConsent(app, DemoSeed.ContosoTenantId);
        var signIn = await DelegatedSignIn.SignInAsync(sandbox, app, "user@contoso.example", ["User.Read"]);

        var me = await sandbox.Graph(() => Task.FromResult(signIn.AccessToken)).Me.GetAsync();
        var appOnly = await Assert.ThrowsAsync<ODataError>(() => sandbox.Graph(() => sandbox.AppTokenAsync(app, DemoSeed.ContosoTenantId)).Me.GetAsync());

        Assert.Equal(DemoSeed.UserId.ToString(), me!.Id);
        Assert.Equal("user@contoso.example", me.UserPrincipalName);
        Assert.Equal(400, appOnly.ResponseStatusCode);
        Assert.Equal("BadRequest", appOnly.Error!.Code);
    }

    [Fact]
    public async Task Userinfo_answers_for_a_delegated_token_only()
    {
        var app = sandbox.RegisterApp();
        var signIn = await DelegatedSignIn.SignInAsync(sandbox, app, "user@contoso.example", ["User.Read"]);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/oidc/userinfo");
        request.Headers.Authorization = new("Bearer", signIn.AccessToken);
        using var anonymous = await sandbox.Http.GetAsync("/oidc/userinfo");

        using var response = await sandbox.Http.SendAsync(request);
        var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Uma User", body.GetProperty("name").GetString());
        Assert.Equal(new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(signIn.IdToken).Subject, body.GetProperty("sub").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task A_delegated_token_with_only_user_read_cannot_list_users()
    {
        var app = sandbox.RegisterApp();
        var signIn = await DelegatedSignIn.SignInAsync(sandbox, app, "user@contoso.example", ["User.Read"]);

        var error = await Assert.ThrowsAsync<ODataError>(() => sandbox.Graph(() => Task.FromResult(signIn.AccessToken)).Users.GetAsync());

        Assert.Equal(403, error.ResponseStatusCode);
        Assert.Equal("Authorization_RequestDenied", error.Error!.Code);
    }

    [Fact]
    public async Task Organization_is_the_callers_tenant()
    {
        var organizations = await AppGraph().Organization.GetAsync();

        var contoso = Assert.Single(organizations!.Value!);
        Assert.Equal(DemoSeed.ContosoTenantId.ToString(), contoso.Id);
        Assert.Equal("Contoso", contoso.DisplayName);
        Assert.Equal("contoso.example", Assert.Single(contoso.VerifiedDomains!).Name);
        Assert.True(contoso.VerifiedDomains![0].IsDefault);
    }

    [Fact]
    public async Task Every_response_has_request_ids_and_errors_repeat_them()
    {
        var token = await AppToken();
        var clientRequestId = Guid.NewGuid().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1.0/users/nobody@contoso.example");
        request.Headers.Authorization = new("Bearer", token);
        request.Headers.Add("client-request-id", clientRequestId);

        using var response = await sandbox.Http.SendAsync(request);
        var inner = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("innerError");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(clientRequestId, response.Headers.GetValues("client-request-id").Single());
        Assert.Equal(response.Headers.GetValues("request-id").Single(), inner.GetProperty("request-id").GetString());
        Assert.Equal(clientRequestId, inner.GetProperty("client-request-id").GetString());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$", inner.GetProperty("date").GetString());
    }

    [Fact]
    public async Task Bad_query_options_are_400()
    {
        var graph = AppGraph();

        var top = await Assert.ThrowsAsync<ODataError>(() => graph.Users.GetAsync(r => r.QueryParameters.Top = 1000));
        var filter = await Assert.ThrowsAsync<ODataError>(() => graph.Users.GetAsync(r => r.QueryParameters.Filter = "jobTitle gt 'a'"));
        var select = await Assert.ThrowsAsync<ODataError>(() => graph.Users.GetAsync(r => r.QueryParameters.Select = ["shoeSize"]));

        Assert.Equal(400, top.ResponseStatusCode);
        Assert.Equal("Request_UnsupportedQuery", filter.Error!.Code);
        Assert.Equal("Request_BadRequest", select.Error!.Code);
    }

    [Fact]
    public async Task An_unknown_segment_is_400_BadRequest()
    {
        var token = await AppToken();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1.0/gizmos");
        request.Headers.Authorization = new("Bearer", token);

        using var response = await sandbox.Http.SendAsync(request);
        var error = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("BadRequest", error.GetProperty("code").GetString());
        Assert.Equal("Resource not found for the segment 'gizmos'.", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_wrong_method_is_405_with_the_graph_envelope()
    {
        var token = await AppToken();
        using var request = new HttpRequestMessage(HttpMethod.Delete, "/v1.0/organization");
        request.Headers.Authorization = new("Bearer", token);

        using var response = await sandbox.Http.SendAsync(request);
        var error = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("Request_BadRequest", error.GetProperty("code").GetString());
    }

    private GraphServiceClient AppGraph(Func<AppRegistration, AppRegistration>? change = null)
    {
        var app = sandbox.RegisterApp(change);
        sandbox.GrantAdminConsent(app, DemoSeed.ContosoTenantId);
        return sandbox.Graph(() => sandbox.AppTokenAsync(app, DemoSeed.ContosoTenantId));
    }

    private Task<string> AppToken()
    {
        var app = sandbox.RegisterApp();
        sandbox.GrantAdminConsent(app, DemoSeed.ContosoTenantId);
        return sandbox.AppTokenAsync(app, DemoSeed.ContosoTenantId);
    }
}
