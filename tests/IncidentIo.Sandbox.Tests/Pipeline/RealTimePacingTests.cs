using System.Diagnostics;
using System.Net;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Tests.Infrastructure;
using Xunit.Abstractions;

namespace IncidentIo.Sandbox.Tests.Pipeline;

/// <summary>Runs alone: on a busy machine a real-time client cannot keep its pace.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "Real time, not in parallel";
}

[Collection(RunsAlone.Name)]
public sealed class RealTimePacingTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_client_pacing_at_the_limit_in_real_time_is_never_throttled()
    {
        const int limit = 20;
        await using var sandbox = await OwnSandbox.StartAsync(ThrottlingTests.UserLimit(limit));
        var token = await sandbox.AppTokenAsync(sandbox.ConsentedApp(DemoSeed.ContosoTenantId), DemoSeed.ContosoTenantId);

        // One request per tick, not waiting for the previous answer: the send rate is the timer's.
        var calls = new List<Task<HttpStatusCode>>();
        var clock = Stopwatch.StartNew();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / limit));
        while (clock.Elapsed < TimeSpan.FromSeconds(3))
        {
            await timer.WaitForNextTickAsync();
            calls.Add(SendAsync(sandbox, token));
        }

        var elapsed = clock.Elapsed;
        var statuses = await Task.WhenAll(calls);
        var rate = calls.Count / elapsed.TotalSeconds;
        var throttled = statuses.Count(s => s == HttpStatusCode.TooManyRequests);
        output.WriteLine($"Paced client: {calls.Count} requests in {elapsed.TotalSeconds:F2} s = {rate:F1}/s against a limit of {limit}/s; {throttled} x 429");
        Assert.Equal(0, throttled);
        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.InRange(rate, limit * 0.7, limit * 1.01); // below the limit only when the machine is too busy to keep the schedule
    }

    private static async Task<HttpStatusCode> SendAsync(OwnSandbox sandbox, string token)
    {
        using var response = await sandbox.SendAsync(HttpMethod.Get, "/users/user@contoso.example", token);
        return response.StatusCode;
    }
}
