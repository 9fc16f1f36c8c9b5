using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Tests.Infrastructure;
using IncidentIo.Sandbox.Throttling;
using Microsoft.Graph;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware.Options;
using Xunit.Abstractions;

namespace IncidentIo.Sandbox.Tests.Pipeline;

public sealed class ThrottlingTests(ITestOutputHelper output)
{
    private static readonly Guid Contoso = DemoSeed.ContosoTenantId;

    /// <summary>A low limit on an endpoint the Sandbox has, so whole round trips can be tested.</summary>
    internal static ThrottlingOptions UserLimit(double perSecond) => new()
    {
        Rules = [new ThrottleRule("GET user", "GET", "/users/{userId}", perSecond), .. ThrottleRule.TeamsDefaults],
    };

    [Fact]
    public void Requests_are_classified_by_method_and_path_pattern()
    {
        var throttler = new Throttler(new ThrottlingOptions(), TimeProvider.System);

        Assert.Equal("GET team members", throttler.Classify("GET", "/teams/6f1e/members")?.Name);
        Assert.Equal("POST installedApps (user)", throttler.Classify("POST", "/users/u1/teamwork/installedApps")?.Name);
        Assert.Equal("POST teams (create)", throttler.Classify("POST", "/teams")?.Name);
        Assert.Equal("other GET Teams calls", throttler.Classify("GET", "/teams/6f1e/operations/op1")?.Name);
        Assert.Equal("other GET Teams calls", throttler.Classify("GET", "/teams")?.Name);
        Assert.Null(throttler.Classify("GET", "/users"));
        Assert.Null(throttler.Classify("GET", "/organization"));
    }

    [Fact]
    public void Admitted_and_refused_calls_are_counted_per_class_and_joined_teams_has_its_published_limit()
    {
        var throttler = new Throttler(new ThrottlingOptions(), new SteppedClock());

        var joined = Enumerable.Range(0, 35).Count(i => throttler.Check(Contoso, "app", "GET", $"/users/u{i}/joinedTeams") is null);
        throttler.Check(Contoso, "app", "GET", "/users/u1");

        Assert.Equal("GET joinedTeams", throttler.Classify("GET", "/users/u1/joinedTeams")?.Name);
        Assert.Equal(30, joined);
        Assert.Equal(30, throttler.Admitted["GET joinedTeams"]);
        Assert.Equal(5, throttler.Rejected["GET joinedTeams"]);
        Assert.Equal(1, throttler.Admitted[Throttler.GlobalClass]);
        throttler.ResetCounts();
        Assert.Empty(throttler.Admitted);
        Assert.Empty(throttler.Rejected);
    }

    [Fact]
    public void Published_limits_hold_per_class_per_team_and_per_tenant()
    {
        var clock = new SteppedClock();
        var throttler = new Throttler(new ThrottlingOptions(), clock);
        var other = Guid.NewGuid();

        // GET members: 60 per second per app per tenant, spread over many teams (the per-team limit is 4).
        var members = Enumerable.Range(0, 70).Count(i => throttler.Check(Contoso, "app", "GET", $"/teams/t{i}/members") is null);
        var oneTeam = Enumerable.Range(0, 10).Count(_ => throttler.Check(Contoso, "app", "GET", "/teams/busy/channels") is null);
        var creates = Enumerable.Range(0, 15).Count(_ => throttler.Check(Contoso, "app", "POST", "/teams") is null);
        var installs = Enumerable.Range(0, 40).Count(i => throttler.Check(Contoso, "app", "POST", $"/users/u{i}/teamwork/installedApps") is null);
        var otherTenant = Enumerable.Range(0, 15).Count(_ => throttler.Check(other, "app", "POST", "/teams") is null);
        var otherApp = Enumerable.Range(0, 15).Count(_ => throttler.Check(Contoso, "app2", "POST", "/teams") is null);
        var refused = throttler.Check(Contoso, "app", "POST", "/teams");

        Assert.Equal(60, members);
        Assert.Equal(4, oneTeam);
        Assert.Equal(10, creates);
        Assert.Equal(30, installs);
        Assert.Equal(10, otherTenant);
        Assert.Equal(10, otherApp);
        Assert.Equal(("POST teams (create)", TimeSpan.FromSeconds(0.1)), (refused!.Value.Class, refused.Value.RetryAfter));

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(throttler.Check(Contoso, "app", "POST", "/teams"));
    }

    [Fact]
    public void A_zero_limit_means_unlimited_for_that_class()
    {
        var throttler = new Throttler(new ThrottlingOptions { Rules = [new ThrottleRule("free", "GET", "/teams/{teamId}/members", 0)], PerTeamPerSecond = 0 }, new SteppedClock());

        Assert.All(Enumerable.Range(0, 500), _ => Assert.Null(throttler.Check(Contoso, "app", "GET", "/teams/t/members")));
    }

    [Fact]
    public void The_across_tenants_limit_caps_an_app_that_is_busy_in_many_tenants()
    {
        var throttler = new Throttler(new ThrottlingOptions(), new SteppedClock());
        var tenants = Enumerable.Range(0, 11).Select(_ => Guid.NewGuid()).ToList();

        var created = tenants.Sum(t => Enumerable.Range(0, 10).Count(_ => throttler.Check(t, "app", "POST", "/teams") is null));
        var refused = throttler.Check(tenants[^1], "app", "POST", "/teams");

        Assert.Equal(100, created);
        Assert.Equal("POST teams (create) (all tenants)", refused!.Value.Class);
        Assert.Equal(11, throttler.Rejected["POST teams (create) (all tenants)"]);
    }

    [Fact]
    public async Task A_burst_above_the_limit_gets_429_with_Retry_After_and_graphs_body()
    {
        await using var sandbox = await OwnSandbox.StartAsync(UserLimit(5), new SteppedClock());
        var token = await sandbox.AppTokenAsync(sandbox.ConsentedApp(Contoso), Contoso);

        var responses = new List<HttpResponseMessage>();
        for (var i = 0; i < 12; i++)
        {
            responses.Add(await sandbox.SendAsync(HttpMethod.Get, "/users/user@contoso.example", token));
        }

        var throttled = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.Equal(5, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(7, throttled.Count);
        Assert.All(throttled, r => Assert.Equal(TimeSpan.FromSeconds(1), r.Headers.RetryAfter!.Delta));
        var body = JsonNode.Parse(await throttled[0].Content.ReadAsStringAsync())!["error"]!;
        Assert.Equal("TooManyRequests", body["code"]!.GetValue<string>());
        Assert.Equal("Please retry again later.", body["message"]!.GetValue<string>());
        Assert.Equal("429", body["innerError"]!["code"]!.GetValue<string>());
        Assert.Equal(throttled[0].Headers.GetValues("request-id").Single(), body["innerError"]!["request-id"]!.GetValue<string>());
        output.WriteLine($"Burst of 12 against 5/s (clock standing still): {responses.Count - throttled.Count} OK, {throttled.Count} x 429");
        responses.ForEach(r => r.Dispose());
    }

    [Fact]
    public async Task A_client_pacing_at_the_limit_is_never_throttled()
    {
        const int limit = 5;
        var clock = new SteppedClock();
        await using var sandbox = await OwnSandbox.StartAsync(UserLimit(limit), clock);
        var token = await sandbox.AppTokenAsync(sandbox.ConsentedApp(Contoso), Contoso);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 100; i++)
        {
            using var response = await sandbox.SendAsync(HttpMethod.Get, "/users/user@contoso.example", token);
            statuses.Add(response.StatusCode);
            clock.Advance(TimeSpan.FromSeconds(1.0 / limit));
        }

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        output.WriteLine($"100 requests at exactly {limit}/s on the Sandbox clock (20 simulated seconds): 0 x 429");
    }

    [Fact]
    public async Task The_sdk_retry_handler_waits_Retry_After_and_then_succeeds()
    {
        var clock = new SteppedClock();
        await using var sandbox = await OwnSandbox.StartAsync(UserLimit(2), clock);
        var token = await sandbox.AppTokenAsync(sandbox.ConsentedApp(Contoso), Contoso);
        // The Sandbox clock stands still, so only the time the SDK says it waits refills the bucket.
        var recorder = new ResponseRecorder(response =>
        {
            if (response.Headers.RetryAfter?.Delta is { } wait)
            {
                clock.Advance(wait);
            }
        });
        var graph = sandbox.Graph(token, recorder);

        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 4; i++)
        {
            Assert.NotNull(await graph.Users["user@contoso.example"].GetAsync());
        }

        output.WriteLine($"4 SDK calls against 2/s: attempts {string.Join(',', recorder.Statuses)} in {watch.Elapsed.TotalSeconds:F2} s");
        Assert.Equal([200, 200, 429, 200, 200], recorder.Statuses);
        Assert.True(watch.Elapsed >= TimeSpan.FromSeconds(0.95), $"Retry-After (1 s) was not waited for: {watch.Elapsed}");
    }

    [Fact]
    public async Task When_throttling_lasts_the_sdk_retries_three_times_and_then_throws()
    {
        await using var sandbox = await OwnSandbox.StartAsync(clock: new SteppedClock());
        var token = await sandbox.AppTokenAsync(sandbox.ConsentedApp(Contoso), Contoso);
        using var storm = await sandbox.Http.PutAsync($"/sandbox/api/tenants/{Contoso}/faults", new StringContent("{\"stormSeconds\":1}", System.Text.Encoding.UTF8, "application/json"));
        var recorder = new ResponseRecorder();
        var graph = sandbox.Graph(token, recorder);

        var error = await Assert.ThrowsAnyAsync<Exception>(() => graph.Organization.GetAsync());

        output.WriteLine($"Storm with a standing clock: attempts {string.Join(',', recorder.Statuses)}; SDK threw {error.GetType().Name}");
        Assert.Equal([429, 429, 429, 429], recorder.Statuses);
        Assert.IsType<AggregateException>(error);
    }

    [Fact]
    public async Task With_retries_off_the_sdk_throws_ODataError_429()
    {
        await using var sandbox = await OwnSandbox.StartAsync(UserLimit(1), new SteppedClock());
        var token = await sandbox.AppTokenAsync(sandbox.ConsentedApp(Contoso), Contoso);
        var graph = sandbox.Graph(token);
        await graph.Users["user@contoso.example"].GetAsync();

        var error = await Assert.ThrowsAsync<ODataError>(() => graph.Users["user@contoso.example"].GetAsync(r => r.Options.Add(new RetryHandlerOption { MaxRetry = 0 })));

        Assert.Equal(429, error.ResponseStatusCode);
        Assert.Equal("TooManyRequests", error.Error!.Code);
        Assert.Equal("1", error.ResponseHeaders!["Retry-After"].Single());
    }

    [Fact]
    public async Task Inside_a_batch_each_step_is_throttled_on_its_own_and_the_batch_is_200()
    {
        await using var sandbox = await OwnSandbox.StartAsync(UserLimit(5), new SteppedClock());
        var token = await sandbox.AppTokenAsync(sandbox.ConsentedApp(Contoso), Contoso);
        var graph = sandbox.Graph(token);
        var batch = new BatchRequestContentCollection(graph);
        for (var i = 0; i < 8; i++)
        {
            await batch.AddBatchRequestStepAsync(graph.Users["user@contoso.example"].ToGetRequestInformation());
        }

        batch.AddBatchRequestStep(new BatchRequestStep("org", await graph.RequestAdapter.ConvertToNativeRequestAsync<HttpRequestMessage>(graph.Organization.ToGetRequestInformation())));
        var responses = await graph.Batch.PostAsync(batch);
        var statuses = await responses.GetResponsesStatusCodesAsync();

        Assert.Equal(5, statuses.Values.Count(s => s == HttpStatusCode.OK) - 1);
        Assert.Equal(3, statuses.Values.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(HttpStatusCode.OK, statuses["org"]);
        var throttledId = statuses.First(s => s.Value == HttpStatusCode.TooManyRequests).Key;
        using var throttled = await responses.GetResponseByIdAsync(throttledId);
        Assert.Equal(TimeSpan.FromSeconds(1), throttled.Headers.RetryAfter!.Delta);
        Assert.Contains("TooManyRequests", await throttled.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Throttling_can_be_off_from_the_start_or_switched_off_through_the_control_api()
    {
        await using var off = await OwnSandbox.StartAsync(new ThrottlingOptions { Enabled = false, Rules = UserLimit(1).Rules }, new SteppedClock());
        await using var on = await OwnSandbox.StartAsync(UserLimit(1), new SteppedClock());
        var offToken = await off.AppTokenAsync(off.ConsentedApp(Contoso), Contoso);
        var onToken = await on.AppTokenAsync(on.ConsentedApp(Contoso), Contoso);

        var offStatuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            using var response = await off.SendAsync(HttpMethod.Get, "/users/user@contoso.example", offToken);
            offStatuses.Add(response.StatusCode);
        }

        (await on.SendAsync(HttpMethod.Get, "/users/user@contoso.example", onToken)).Dispose();
        using var throttled = await on.SendAsync(HttpMethod.Get, "/users/user@contoso.example", onToken);
        using var switchOff = await on.Http.PutAsync("/sandbox/api/throttling", new StringContent("{\"enabled\":false}", System.Text.Encoding.UTF8, "application/json"));
        using var afterSwitch = await on.SendAsync(HttpMethod.Get, "/users/user@contoso.example", onToken);

        Assert.All(offStatuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.Equal(HttpStatusCode.OK, switchOff.StatusCode);
        Assert.Equal(HttpStatusCode.OK, afterSwitch.StatusCode);
        Assert.False(on.Host.Throttling.Enabled);
        Assert.Equal(1, on.Host.Throttling.Rejected["GET user"]);
    }
}
