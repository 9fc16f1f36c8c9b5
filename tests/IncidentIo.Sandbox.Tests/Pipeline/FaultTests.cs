using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Tests.Infrastructure;
using Xunit.Abstractions;

namespace IncidentIo.Sandbox.Tests.Pipeline;

public sealed class FaultTests(ITestOutputHelper output)
{
    private static readonly Guid Contoso = DemoSeed.ContosoTenantId;
    private static readonly string FaultsUrl = $"/sandbox/api/tenants/{Contoso}/faults";
    private static readonly int[] Both = [503, 504];
    private static readonly int[] Only503 = [503];
    private static readonly int[] Only504 = [504];

    [Fact]
    public async Task The_5xx_rate_is_close_to_the_setting_and_repeats_with_the_seed()
    {
        await using var sandbox = await OwnSandbox.StartAsync(faultSeed: 7);
        var token = await sandbox.AppTokenAsync(sandbox.ConsentedApp(Contoso), Contoso);
        await PutAsync(sandbox, FaultsUrl, new { errorRate = 0.2, errorStatuses = Both, retryAfterSeconds = 3 });

        var first = await StatusesAsync(sandbox, token, 500);
        await PutAsync(sandbox, FaultsUrl, new { errorRate = 0.2, errorStatuses = Both, retryAfterSeconds = 3 });
        var again = await StatusesAsync(sandbox, token, 100);

        var failed = first.Count(s => s >= 500);
        output.WriteLine($"errorRate 0.2, seed 7: {failed} of {first.Count} failed ({(double)failed / first.Count:P1}); 503: {first.Count(s => s == 503)}, 504: {first.Count(s => s == 504)}");
        Assert.InRange(failed / (double)first.Count, 0.15, 0.25);
        Assert.Contains(503, first);
        Assert.Contains(504, first);
        Assert.Equal(first.Take(100), again);
    }

    [Fact]
    public async Task Injected_503_carries_Retry_After_and_graphs_envelope_and_504_does_not()
    {
        await using var sandbox = await OwnSandbox.StartAsync();
        var token = await sandbox.AppTokenAsync(sandbox.ConsentedApp(Contoso), Contoso);

        await PutAsync(sandbox, FaultsUrl, new { errorRate = 1.0, errorStatuses = Only503, retryAfterSeconds = 4 });
        using var unavailable = await sandbox.SendAsync(HttpMethod.Get, "/organization", token);
        await PutAsync(sandbox, FaultsUrl, new { errorRate = 1.0, errorStatuses = Only504 });
        using var gatewayTimeout = await sandbox.SendAsync(HttpMethod.Get, "/organization", token);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(4), unavailable.Headers.RetryAfter!.Delta);
        var error = JsonNode.Parse(await unavailable.Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("serviceNotAvailable", error["code"]!.GetValue<string>());
        Assert.Equal(unavailable.Headers.GetValues("request-id").Single(), error["innerError"]!["request-id"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.GatewayTimeout, gatewayTimeout.StatusCode);
        Assert.Null(gatewayTimeout.Headers.RetryAfter);
    }

    [Fact]
    public async Task Latency_is_added_to_every_call_until_cleared()
    {
        await using var sandbox = await OwnSandbox.StartAsync();
        var token = await sandbox.AppTokenAsync(sandbox.ConsentedApp(Contoso), Contoso);
        (await sandbox.SendAsync(HttpMethod.Get, "/organization", token)).Dispose();

        var baseline = await TimeAsync(sandbox, token);
        await PutAsync(sandbox, FaultsUrl, new { latencyMs = 400 });
        var slowed = await TimeAsync(sandbox, token);
        using var clear = await sandbox.Http.DeleteAsync(FaultsUrl);
        var cleared = await TimeAsync(sandbox, token);

        output.WriteLine($"baseline {baseline.TotalMilliseconds:F0} ms, with 400 ms latency {slowed.TotalMilliseconds:F0} ms, cleared {cleared.TotalMilliseconds:F0} ms");
        Assert.True(slowed >= TimeSpan.FromMilliseconds(400), $"{slowed}");
        Assert.True(cleared < TimeSpan.FromMilliseconds(400), $"{cleared}");
    }

    [Fact]
    public async Task A_429_storm_throttles_everything_until_its_window_ends()
    {
        var clock = new SteppedClock();
        await using var sandbox = await OwnSandbox.StartAsync(clock: clock);
        var token = await sandbox.AppTokenAsync(sandbox.ConsentedApp(Contoso), Contoso);

        var view = await PutAsync(sandbox, FaultsUrl, new { stormSeconds = 5 });
        using var during = await sandbox.SendAsync(HttpMethod.Get, "/organization", token);
        clock.Advance(TimeSpan.FromSeconds(3));
        using var later = await sandbox.SendAsync(HttpMethod.Get, "/users", token);
        clock.Advance(TimeSpan.FromSeconds(2.5));
        using var after = await sandbox.SendAsync(HttpMethod.Get, "/organization", token);

        Assert.Equal(5, view["stormSecondsLeft"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.TooManyRequests, during.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), during.Headers.RetryAfter!.Delta);
        Assert.Equal(HttpStatusCode.TooManyRequests, later.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(2), later.Headers.RetryAfter!.Delta);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Fact]
    public async Task A_timeout_holds_the_call_until_the_client_gives_up()
    {
        await using var sandbox = await OwnSandbox.StartAsync();
        var token = await sandbox.AppTokenAsync(sandbox.ConsentedApp(Contoso), Contoso);
        await PutAsync(sandbox, FaultsUrl, new { timeout = true });
        using var impatient = new HttpClient(TestCertificates.Authority.CreateHandler(sandbox.Origin)) { BaseAddress = new Uri(sandbox.Origin), Timeout = TimeSpan.FromMilliseconds(500) };
        impatient.DefaultRequestHeaders.Authorization = new("Bearer", token);

        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAsync<TaskCanceledException>(() => impatient.GetAsync("/v1.0/organization"));
        var waited = clock.Elapsed;
        using var clear = await sandbox.Http.DeleteAsync(FaultsUrl);
        using var afterwards = await impatient.GetAsync("/v1.0/organization");

        Assert.True(waited >= TimeSpan.FromMilliseconds(450), $"{waited}");
        Assert.Equal(HttpStatusCode.OK, afterwards.StatusCode);
    }

    [Fact]
    public async Task User_settings_apply_to_calls_about_that_user_only()
    {
        await using var sandbox = await OwnSandbox.StartAsync();
        var token = await sandbox.AppTokenAsync(sandbox.ConsentedApp(Contoso), Contoso);
        await PutAsync(sandbox, $"/sandbox/api/tenants/{Contoso}/users/blocked@contoso.example/faults", new { errorRate = 1.0 });

        using var aboutThem = await sandbox.SendAsync(HttpMethod.Get, $"/users/{DemoSeed.BlockedUserId}", token);
        using var byUpn = await sandbox.SendAsync(HttpMethod.Get, "/users/blocked@contoso.example", token);
        using var someoneElse = await sandbox.SendAsync(HttpMethod.Get, "/users/user@contoso.example", token);
        using var clear = await sandbox.Http.DeleteAsync($"/sandbox/api/tenants/{Contoso}/users/blocked@contoso.example/faults");
        using var cleared = await sandbox.SendAsync(HttpMethod.Get, "/users/blocked@contoso.example", token);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, aboutThem.StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, byUpn.StatusCode);
        Assert.Equal(HttpStatusCode.OK, someoneElse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, cleared.StatusCode);
    }

    [Fact]
    public async Task Batch_steps_get_injected_faults_each_and_the_batch_is_still_200()
    {
        await using var sandbox = await OwnSandbox.StartAsync();
        var token = await sandbox.AppTokenAsync(sandbox.ConsentedApp(Contoso), Contoso);
        await PutAsync(sandbox, FaultsUrl, new { errorRate = 1.0 });
        var batch = new JsonObject { ["requests"] = new JsonArray(BatchTests.Step("1", "/organization"), BatchTests.Step("2", "/users")) };

        using var response = await sandbox.SendAsync(HttpMethod.Post, "/$batch", token, new StringContent(batch.ToJsonString(), System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var steps = BatchTests.Responses(JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
        Assert.All(steps.Values, s => Assert.Equal(503, s["status"]!.GetValue<int>()));
        Assert.Equal("2", steps["1"]["headers"]!["Retry-After"]!.GetValue<string>());
    }

    [Fact]
    public async Task Flags_and_the_async_operation_switch_are_settable_and_bad_settings_refused()
    {
        await using var sandbox = await OwnSandbox.StartAsync();

        using var patch = await sandbox.Http.PatchAsJsonAsync($"/sandbox/api/tenants/{Contoso}/users/user@contoso.example", new { blockedByPolicy = true, neverOpenedTeams = true });
        await PutAsync(sandbox, FaultsUrl, new { failAsyncOperations = true });
        using var bad = await sandbox.Http.PutAsJsonAsync(FaultsUrl, new { errorRate = 2 });
        using var unknownTenant = await sandbox.Http.PutAsJsonAsync($"/sandbox/api/tenants/{Guid.NewGuid()}/faults", new { latencyMs = 1 });

        Assert.Equal(HttpStatusCode.OK, patch.StatusCode);
        var user = sandbox.State.FindUser(DemoSeed.UserId)!;
        Assert.True(user.BlockedByPolicy);
        Assert.True(user.NeverOpenedTeams);
        Assert.True(sandbox.Host.Faults.FailsAsyncOperations(Contoso));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownTenant.StatusCode);
    }

    private static async Task<JsonObject> PutAsync(OwnSandbox sandbox, string url, object body)
    {
        using var response = await sandbox.Http.PutAsJsonAsync(url, body);
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    private static async Task<List<int>> StatusesAsync(OwnSandbox sandbox, string token, int count)
    {
        var statuses = new List<int>();
        for (var i = 0; i < count; i++)
        {
            using var response = await sandbox.SendAsync(HttpMethod.Get, "/organization", token);
            statuses.Add((int)response.StatusCode);
        }

        return statuses;
    }

    private static async Task<TimeSpan> TimeAsync(OwnSandbox sandbox, string token)
    {
        var clock = Stopwatch.StartNew();
        using var response = await sandbox.SendAsync(HttpMethod.Get, "/organization", token);
        response.EnsureSuccessStatusCode();
        return clock.Elapsed;
    }
}
