using System.Net;

namespace IncidentIo.Portal.Tests.Security;

/// <summary>What an anonymous caller can make the Portal do (health checks, starting a sign-in) is limited per client address.</summary>
public sealed class AnonymousRateLimitTests : IAsyncLifetime
{
    private const int PerMinute = 3;
    private readonly PortalFactory portal = PortalFactory.OnSqlite().With("Health:AnonymousRequestsPerMinute", PerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await portal.DisposeAsync();

    [Fact]
    public async Task Past_the_limit_health_and_sign_in_answer_429_and_other_pages_still_serve()
    {
        var client = portal.CreateClient(new() { AllowAutoRedirect = false });
        var answers = new List<HttpStatusCode>();
        for (var i = 0; i < PerMinute; i++)
        {
            answers.Add((await client.GetAsync(i % 2 == 0 ? "/healthz" : "/signin")).StatusCode);
        }

        Assert.DoesNotContain(HttpStatusCode.TooManyRequests, answers);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await client.GetAsync("/signin")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/")).StatusCode);
    }
}
