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

        // A busy machine cannot keep a real-time schedule: such a try proves nothing either way, so
        // it is tried again (up to three times); a 429 in any try fails at once.
        var rate = 0.0;
        for (var attempt = 1; attempt <= 3 && rate < limit * 0.7; attempt++)
        {
            // One request per tick, not waiting for the previous answer: the send rate is the timer's.
            var calls = new List<Task<HttpStatusCode>>();
            var clock = Stopwatch.StartNew();
            using (var timer = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / limit)))
            {
                while (clock.Elapsed < TimeSpan.FromSeconds(3))
                {
                    await timer.WaitForNextTickAsync();
                    calls.Add(SendAsync(sandbox, token));
                }
            }

            var elapsed = clock.Elapsed;
            var statuses = await Task.WhenAll(calls);
            rate = calls.Count / elapsed.TotalSeconds;
            var throttled = statuses.Count(s => s == HttpStatusCode.TooManyRequests);
            output.WriteLine($"Paced client, try {attempt}: {calls.Count} requests in {elapsed.TotalSeconds:F2} s = {rate:F1}/s against a limit of {limit}/s; {throttled} x 429");
            Assert.Equal(0, throttled);
            Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
            if (rate < limit * 0.7)
            {
                // Let the bucket refill before trying again.
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }

        Assert.InRange(rate, limit * 0.7, limit * 1.01);
    }

    private static async Task<HttpStatusCode> SendAsync(OwnSandbox sandbox, string token)
    {
        using var response = await sandbox.SendAsync(HttpMethod.Get, "/users/user@contoso.example", token);
        return response.StatusCode;
    }
}
