using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.Tests.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Authentication;

namespace IncidentIo.Domain.Tests.MicrosoftCloud;

/// <summary>
/// The paced-retry helper against a scripted Graph (a handler answering what each test says) and the
/// real pacer on a database: how many calls go out, whether the pacer hears of throttling, when it
/// gives up, and that cancelling stops it.
/// </summary>
public sealed class PacedGraphCallsTests : IAsyncLifetime
{
    private const string Operation = "test-operation";
    private static readonly Guid Tenant = Guid.NewGuid();
    private static readonly PacedCallPolicy Policy = new(Operation, PerSecond: 1000, MaxAttempts: 4, FirstBackoff: TimeSpan.FromMilliseconds(1), CallTimeout: TimeSpan.FromSeconds(30));

    private readonly ScriptedGraph graph = new();
    private TestDatabase database = null!;
    private ServiceProvider services = null!;
    private PacedGraphCalls calls = null!;
    private GraphServiceClient client = null!;

    public async Task InitializeAsync()
    {
        database = await TestDatabase.CreateAsync(DatabaseOptions.Sqlite);
        services = database.BuildServices();
        await services.GetRequiredService<DatabaseMigrator>().MigrateAsync();
        var pacer = new TenantGraphPacer(services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>(),
            Options.Create(new MicrosoftOptions { MaxRetryAfter = TimeSpan.FromMinutes(5) }), TimeProvider.System);
        calls = new PacedGraphCalls(pacer, TimeProvider.System);
        client = new GraphServiceClient(new HttpClient(graph), new AnonymousAuthenticationProvider());
    }

    public async Task DisposeAsync()
    {
        client.Dispose();
        await services.DisposeAsync();
        await database.DisposeAsync();
    }

    [Fact]
    public async Task A_429_tells_the_pacer_and_the_call_goes_again()
    {
        graph.Answer = (_, attempt) => attempt == 1 ? 429 : 200;

        var (team, error) = await calls.CallAsync(Tenant, Policy, () => client.Teams["t1"].GetAsync(), CancellationToken.None);

        Assert.Null(error);
        Assert.Equal("t1", team?.Id);
        Assert.Equal(2, graph.Requests);
        Assert.Equal(1, await ThrottledCountAsync());
    }

    [Fact]
    public async Task A_503_and_a_504_tell_the_pacer_a_500_is_only_retried()
    {
        graph.Answer = (_, attempt) => attempt switch { 1 => 503, 2 => 504, 3 => 500, _ => 200 };

        var (team, error) = await calls.CallAsync(Tenant, Policy, () => client.Teams["t1"].GetAsync(), CancellationToken.None);

        Assert.Null(error);
        Assert.NotNull(team);
        Assert.Equal(4, graph.Requests);
        Assert.Equal(2, await ThrottledCountAsync());
    }

    [Fact]
    public async Task Transient_failures_are_given_up_after_the_last_attempt_and_say_so()
    {
        graph.Answer = (_, _) => 503;

        var (team, error) = await calls.CallAsync(Tenant, Policy, () => client.Teams["t1"].GetAsync(), CancellationToken.None);

        Assert.Null(team);
        Assert.Equal("Microsoft Graph answered 503 serviceNotAvailable, 4 times.", error);
        Assert.Equal(Policy.MaxAttempts, graph.Requests);
    }

    [Theory]
    [InlineData(403, "Microsoft Graph answered 403 Forbidden: refused (our bot may have been removed from the team, or a permission withdrawn)")]
    [InlineData(404, "Microsoft Graph answered 404 NotFound: refused")]
    [InlineData(400, "Microsoft Graph answered 400 BadRequest: refused")]
    public async Task A_refusal_is_not_retried_and_does_not_slow_anyone(int status, string expected)
    {
        graph.Answer = (_, _) => status;

        var (team, error) = await calls.CallAsync(Tenant, Policy, () => client.Teams["t1"].GetAsync(), CancellationToken.None);

        Assert.Null(team);
        Assert.Equal(expected, error);
        Assert.Equal(1, graph.Requests);
        Assert.Equal(0, await ThrottledCountAsync());
    }

    [Fact]
    public async Task Cancelling_while_waiting_out_a_retry_after_stops_without_another_call()
    {
        using var stop = new CancellationTokenSource();
        graph.RetryAfterSeconds = 120;
        graph.Answer = (_, _) =>
        {
            stop.CancelAfter(TimeSpan.FromMilliseconds(500));
            return 429;
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => calls.CallAsync(Tenant, Policy, () => client.Teams["t1"].GetAsync(cancellationToken: stop.Token), stop.Token));

        // Two minutes were not waited: the only call is the first.
        Assert.Equal(1, graph.Requests);
    }

    [Fact]
    public async Task Steps_of_a_batch_answered_429_go_again_alone_and_the_pacer_hears_of_it()
    {
        graph.Answer = (url, attempt) => url.Contains("/t2/", StringComparison.Ordinal) && attempt == 1 ? 429 : 200;

        var answers = await calls.BatchGetAsync<ConversationMemberCollectionResponse>(Tenant, Policy, client, Steps("t1", "t2", "t3"), CancellationToken.None);

        Assert.All(answers.Values, a => Assert.Equal((200, null), (a.Status, a.Error)));
        Assert.Equal(["t1", "t2", "t3"], answers.Keys.Order());
        Assert.Equal([3, 1], graph.BatchSizes);
        // A single 429 is waited out and leaves the gap as it was.
        Assert.Equal((1, 1.0), await PaceAsync());
        // One slot per step: 3 then 1, so the row's schedule moved on by four intervals at least.
        Assert.Equal(4, graph.StepsSent);
    }

    [Fact]
    public async Task A_step_throttled_again_after_waiting_out_its_retry_after_doubles_the_gap_once()
    {
        graph.Answer = (url, attempt) => url.Contains("/t2/", StringComparison.Ordinal) && attempt <= 2 ? 429 : 200;

        var answers = await calls.BatchGetAsync<ConversationMemberCollectionResponse>(Tenant, Policy, client, Steps("t1", "t2"), CancellationToken.None);

        Assert.All(answers.Values, a => Assert.Equal(200, a.Status));
        Assert.Equal([2, 1, 1], graph.BatchSizes);
        // The first 429 is only waited out; the second came for a call sent after it was heard: the pace was too fast.
        Assert.Equal((2, 2.0), await PaceAsync());
    }

    [Fact]
    public async Task A_429_on_the_whole_batch_tells_the_pacer_and_sends_every_step_again()
    {
        graph.BatchAnswer = attempt => attempt == 1 ? 429 : 200;
        graph.Answer = (_, _) => 200;

        var answers = await calls.BatchGetAsync<ConversationMemberCollectionResponse>(Tenant, Policy, client, Steps("t1", "t2"), CancellationToken.None);

        Assert.Equal(2, answers.Count(a => a.Value.Status == 200));
        Assert.Equal(2, graph.BatchPosts);
        Assert.Equal(1, await ThrottledCountAsync());
    }

    [Fact]
    public async Task Batch_steps_failing_every_time_are_given_up_others_keep_their_answers_and_refusals_are_not_retried()
    {
        graph.Answer = (url, _) => url.Contains("/t1/", StringComparison.Ordinal) ? 500 : url.Contains("/t2/", StringComparison.Ordinal) ? 403 : 200;

        var answers = await calls.BatchGetAsync<ConversationMemberCollectionResponse>(Tenant, Policy, client, Steps("t1", "t2", "t3"), CancellationToken.None);

        Assert.Equal((0, "Microsoft Graph answered 500 generalException, 4 times."), (answers["t1"].Status, answers["t1"].Error));
        Assert.Equal(403, answers["t2"].Status);
        Assert.Contains("a permission may have been withdrawn", answers["t2"].Error, StringComparison.Ordinal);
        Assert.Equal((200, null), (answers["t3"].Status, answers["t3"].Error));
        Assert.Equal([3, 1, 1, 1], graph.BatchSizes);
        Assert.Equal(0, await ThrottledCountAsync());
    }

    private List<(string Key, RequestInformation Request)> Steps(params string[] teams) =>
        [.. teams.Select(t => (t, client.Teams[t].Members.ToGetRequestInformation()))];

    /// <summary>The row's 429 count and its gap (the policy's rate of 1,000 per second is a gap of 1 ms).</summary>
    private async Task<(int ThrottledCount, double IntervalMs)> PaceAsync()
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>().CreateDbContextAsync();
        var pace = await db.GraphPaces.AsNoTracking().SingleAsync(p => p.TenantId == Tenant && p.Operation == Operation);
        return (pace.ThrottledCount, pace.IntervalMs);
    }

    private async Task<int> ThrottledCountAsync()
    {
        await using var db = await services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>().CreateDbContextAsync();
        return await db.GraphPaces.Where(p => p.TenantId == Tenant && p.Operation == Operation).Select(p => p.ThrottledCount).SingleOrDefaultAsync();
    }

    /// <summary>
    /// Graph as a script: <see cref="Answer"/> gives each request's status (by URL and how many times that
    /// URL was asked), also for the steps inside a <c>$batch</c>; <see cref="BatchAnswer"/> the batch's own.
    /// </summary>
    private sealed class ScriptedGraph : HttpMessageHandler
    {
        private readonly ConcurrentDictionary<string, int> asked = new();
        private int requests;
        private int batchPosts;

        public Func<string, int, int> Answer { get; set; } = (_, _) => 200;

        public Func<int, int> BatchAnswer { get; set; } = _ => 200;

        public int RetryAfterSeconds { get; set; }

        public int Requests => requests;

        public int BatchPosts => batchPosts;

        public ConcurrentQueue<int> BatchSizes { get; } = new();

        public int StepsSent => BatchSizes.Sum();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref requests);
            var path = request.RequestUri!.AbsolutePath;
            if (!path.EndsWith("/$batch", StringComparison.Ordinal))
            {
                var status = Answer(path + "/", asked.AddOrUpdate(path + "/", 1, (_, n) => n + 1));
                return Respond(status, status == 200 ? new JsonObject { ["id"] = path.Split('/')[^1], ["displayName"] = "Ops" } : Error(status));
            }

            var outer = BatchAnswer(Interlocked.Increment(ref batchPosts));
            using var body = JsonDocument.Parse(await request.Content!.ReadAsStringAsync(cancellationToken));
            var steps = body.RootElement.GetProperty("requests").EnumerateArray().ToList();
            BatchSizes.Enqueue(steps.Count);
            if (outer != 200)
            {
                return Respond(outer, Error(outer));
            }

            var responses = new JsonArray();
            foreach (var step in steps)
            {
                var url = step.GetProperty("url").GetString()!;
                var status = Answer(url, asked.AddOrUpdate(url, 1, (_, n) => n + 1));
                responses.Add(new JsonObject
                {
                    ["id"] = step.GetProperty("id").GetString(),
                    ["status"] = status,
                    ["headers"] = new JsonObject { ["Content-Type"] = "application/json", ["Retry-After"] = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                    ["body"] = status == 200 ? new JsonObject { ["value"] = new JsonArray() } : Error(status),
                });
            }

            return Respond(200, new JsonObject { ["responses"] = responses });
        }

        private HttpResponseMessage Respond(int status, JsonObject body)
        {
            var response = new HttpResponseMessage((HttpStatusCode)status) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
            if (status is 429 or 503 or 504)
            {
                response.Headers.TryAddWithoutValidation("Retry-After", RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            return response;
        }

        private static JsonObject Error(int status) => new()
        {
            ["error"] = new JsonObject
            {
                ["code"] = status switch
                {
                    429 => "TooManyRequests",
                    503 or 504 => "serviceNotAvailable",
                    500 => "generalException",
                    403 => "Forbidden",
                    404 => "NotFound",
                    _ => "BadRequest",
                },
                ["message"] = "refused",
            },
        };
    }
}
