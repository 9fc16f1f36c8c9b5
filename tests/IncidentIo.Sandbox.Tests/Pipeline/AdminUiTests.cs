using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Tests.Infrastructure;

namespace IncidentIo.Sandbox.Tests.Pipeline;

public sealed class AdminUiTests
{
    private static readonly Guid Contoso = DemoSeed.ContosoTenantId;

    [Fact]
    public async Task Home_lists_tenants_apps_grants_and_throttling_limits()
    {
        await using var sandbox = await OwnSandbox.StartAsync();
        var app = sandbox.ConsentedApp(Contoso);

        var html = await sandbox.Http.GetStringAsync("/sandbox");

        Assert.Contains("<table id=\"tenants\">", html, StringComparison.Ordinal);
        Assert.Contains($"href=\"/sandbox/tenants/{Contoso}\">Contoso</a>", html, StringComparison.Ordinal);
        Assert.Contains(app.ClientId, html, StringComparison.Ordinal);
        Assert.Contains("User.Read.All, Organization.Read.All", html, StringComparison.Ordinal);
        Assert.Contains("GET team members", html, StringComparison.Ordinal);
        Assert.Contains("name=\"enabled\" value=\"on\" checked", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tenant_page_pages_users_and_unknown_tenants_are_404()
    {
        await using var sandbox = await OwnSandbox.StartAsync();
        TenantGenerator.Generate(sandbox.State, Contoso, users: 120, seed: 1);

        var first = await sandbox.Http.GetStringAsync($"/sandbox/tenants/{Contoso}");
        var last = await sandbox.Http.GetStringAsync($"/sandbox/tenants/{Contoso}?page=3");
        using var missing = await sandbox.Http.GetAsync($"/sandbox/tenants/{Guid.NewGuid()}");

        Assert.Contains("Page 1 of 3", first, StringComparison.Ordinal);
        Assert.Contains("rel=\"next\"", first, StringComparison.Ordinal);
        Assert.Contains("admin@contoso.example", first, StringComparison.Ordinal);
        Assert.Contains("Page 3 of 3", last, StringComparison.Ordinal);
        Assert.DoesNotContain("rel=\"next\"", last, StringComparison.Ordinal);
        Assert.Equal(50, CountOf(first, "<td><form method=\"post\""));
        Assert.Equal(136 - 100, CountOf(last, "<td><form method=\"post\""));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Fault_form_changes_the_tenants_settings()
    {
        await using var sandbox = await OwnSandbox.StartAsync();

        using var response = await PostFormAsync(sandbox, $"/sandbox/tenants/{Contoso}/faults",
            ("latencyMs", "250"), ("errorRate", "0.1"), ("errorStatuses", "503, 504"), ("retryAfterSeconds", "5"), ("stormSeconds", "30"), ("failAsyncOperations", "on"));
        var page = await sandbox.Http.GetStringAsync($"/sandbox/tenants/{Contoso}");
        var api = JsonNode.Parse(await sandbox.Http.GetStringAsync($"/sandbox/api/tenants/{Contoso}/faults"))!;

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(250, api["latencyMs"]!.GetValue<int>());
        Assert.Equal(0.1, api["errorRate"]!.GetValue<double>());
        Assert.Equal([503, 504], api["errorStatuses"]!.AsArray().Select(s => s!.GetValue<int>()));
        Assert.InRange(api["stormSecondsLeft"]!.GetValue<int>(), 28, 30);
        Assert.True(api["failAsyncOperations"]!.GetValue<bool>());
        Assert.False(api["timeout"]!.GetValue<bool>());
        Assert.Contains("name=\"latencyMs\" type=\"number\" min=\"0\" value=\"250\"", page, StringComparison.Ordinal);
        Assert.Contains("name=\"failAsyncOperations\" value=\"on\" checked", page, StringComparison.Ordinal);

        using var bad = await PostFormAsync(sandbox, $"/sandbox/tenants/{Contoso}/faults", ("errorRate", "3"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task User_flag_form_sets_and_clears_the_teams_flags()
    {
        await using var sandbox = await OwnSandbox.StartAsync();

        using var set = await PostFormAsync(sandbox, $"/sandbox/tenants/{Contoso}/users/{DemoSeed.UserId}", ("blockedByPolicy", "on"));
        var afterSet = sandbox.State.FindUser(DemoSeed.UserId)!;
        using var clear = await PostFormAsync(sandbox, $"/sandbox/tenants/{Contoso}/users/{DemoSeed.NeverOpenedTeamsUserId}");
        var afterClear = sandbox.State.FindUser(DemoSeed.NeverOpenedTeamsUserId)!;

        Assert.Equal(HttpStatusCode.Redirect, set.StatusCode);
        Assert.True(afterSet.BlockedByPolicy);
        Assert.False(afterSet.NeverOpenedTeams);
        Assert.False(afterClear.NeverOpenedTeams);
    }

    [Fact]
    public async Task User_page_sets_and_removes_the_users_own_faults()
    {
        await using var sandbox = await OwnSandbox.StartAsync();
        var path = $"/sandbox/tenants/{Contoso}/users/{DemoSeed.BlockedUserId}";

        var before = await sandbox.Http.GetStringAsync(path);
        using var set = await PostFormAsync(sandbox, $"{path}/faults", ("errorRate", "1"), ("errorStatuses", "504"), ("latencyMs", "10"));
        var own = sandbox.Host.Faults.ForUser(DemoSeed.BlockedUserId);
        var after = await sandbox.Http.GetStringAsync(path);
        using var remove = await PostFormAsync(sandbox, $"{path}/faults", ("clear", "on"));
        var tenantPage = await sandbox.Http.GetStringAsync($"/sandbox/tenants/{Contoso}");

        Assert.Contains("Blake Blocked", before, StringComparison.Ordinal);
        Assert.Contains("name=\"blockedByPolicy\" value=\"on\" checked", before, StringComparison.Ordinal);
        Assert.Contains("None of their own", before, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, set.StatusCode);
        Assert.Equal(1.0, own!.ErrorRate);
        Assert.Equal([504], own.ErrorStatuses);
        Assert.Contains("Faults (own settings)", after, StringComparison.Ordinal);
        Assert.Null(sandbox.Host.Faults.ForUser(DemoSeed.BlockedUserId));
        Assert.Contains($"href=\"/sandbox/tenants/{Contoso}/users/{DemoSeed.BlockedUserId}\">Blake Blocked</a>", tenantPage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Throttling_and_generate_forms_work()
    {
        await using var sandbox = await OwnSandbox.StartAsync();

        using var off = await PostFormAsync(sandbox, "/sandbox/throttling");
        using var generate = await PostFormAsync(sandbox, $"/sandbox/tenants/{Contoso}/generate", ("users", "300"), ("seed", "5"));
        var home = await sandbox.Http.GetStringAsync("/sandbox");

        Assert.Equal(HttpStatusCode.Redirect, off.StatusCode);
        Assert.False(sandbox.Host.Throttling.Enabled);
        Assert.DoesNotContain("name=\"enabled\" value=\"on\" checked", home, StringComparison.Ordinal);
        Assert.Equal(DemoSeed.ContosoUserCount + 300, sandbox.State.Users(Contoso).Count);
        Assert.Contains($"<td>{DemoSeed.ContosoUserCount + 300}</td>", home, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Control_api_creates_a_tenant_and_generates_users_in_it()
    {
        await using var sandbox = await OwnSandbox.StartAsync();

        using var created = await sandbox.Http.PostAsJsonAsync("/sandbox/api/tenants", new { displayName = "Fabrikam", domain = "fabrikam.example" });
        var tenantId = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<Guid>();
        using var generated = await sandbox.Http.PostAsJsonAsync("/sandbox/api/tenants/fabrikam.example/generate", new { users = 2000, seed = 3 });
        var result = JsonNode.Parse(await generated.Content.ReadAsStringAsync())!;
        using var duplicate = await sandbox.Http.PostAsJsonAsync("/sandbox/api/tenants", new { displayName = "Again", domain = "fabrikam.example" });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, generated.StatusCode);
        Assert.Equal(2000, result["users"]!.GetValue<int>());
        Assert.Equal(2000, sandbox.State.Users(tenantId).Count);
        Assert.All(sandbox.State.Users(tenantId), u => Assert.EndsWith("@fabrikam.example", u.UserPrincipalName, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
    }

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;

    private static async Task<HttpResponseMessage> PostFormAsync(OwnSandbox sandbox, string path, params (string Name, string Value)[] fields)
    {
        using var content = new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)));
        return await sandbox.Http.PostAsync(path, content);
    }
}
