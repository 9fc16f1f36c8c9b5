using System.Net;
using System.Text.Json;
using Microsoft.Graph;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Serialization;

namespace IncidentIo.Domain.MicrosoftCloud;

/// <summary>How one kind of Graph call is paced (its own row in <see cref="TenantGraphPacer"/>) and retried.</summary>
/// <param name="PerSecond">Target rate for all workers together.</param>
/// <param name="MaxAttempts">Attempts before the call counts as failed (1 = no retry).</param>
/// <param name="FirstBackoff">First wait after a transient failure that came without <c>Retry-After</c>; doubles each time.</param>
/// <param name="CallTimeout">The HTTP client's time-out, named in the message when a call ran out of it.</param>
public sealed record PacedCallPolicy(string Operation, double PerSecond, int MaxAttempts, TimeSpan FirstBackoff, TimeSpan CallTimeout)
{
    /// <summary>The longest wait between two attempts when Microsoft sent no <c>Retry-After</c>.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
}

/// <summary>One step of a <c>$batch</c>: its parsed answer, or its status and why it failed (status 0: no answer after every attempt).</summary>
public readonly record struct BatchAnswer<T>(T? Result, int Status, string? Error);

/// <summary>
/// Graph calls that wait for the tenant's pace, and go again on transient failures: 429, 503 and
/// 504 (Microsoft's throttling answers) tell the pacer, so every worker slows down, and are retried
/// after their <c>Retry-After</c> (at most <c>Microsoft:MaxRetryAfter</c>); other 5xx, connection
/// failures and time-outs are retried after an exponential backoff. A <c>$batch</c> takes one pacing
/// slot per step, and a 429 on the whole batch or on any step inside it reaches the pacer alike.
/// https://learn.microsoft.com/en-us/graph/throttling (429 with Retry-After; 503/504 may carry it too)
/// https://learn.microsoft.com/en-us/graph/json-batching (each step is evaluated against its own limits)
/// </summary>
public sealed class PacedGraphCalls(TenantGraphPacer pacer, TimeProvider clock)
{
    /// <summary>One call: its result, or (after the attempts ran out, or at once for a 4xx) why it failed.</summary>
    public async Task<(T? Result, string? Error)> CallAsync<T>(Guid tenantId, PacedCallPolicy policy, Func<Task<T?>> call, CancellationToken cancellationToken)
    {
        T? result = default;
        string? refused = null;
        var failure = await RetryAsync(tenantId, policy, () => 1, async () =>
        {
            try
            {
                result = await call();
                return Attempt.Done;
            }
            catch (ODataError error) when (IsTransient(error.ResponseStatusCode))
            {
                return new Attempt($"Microsoft Graph answered {error.ResponseStatusCode} {error.Error?.Code}", error.ResponseStatusCode, RetryAfterHeader.From(error.ResponseHeaders));
            }
            catch (ODataError error)
            {
                var hint = error.ResponseStatusCode == (int)HttpStatusCode.Forbidden ? " (our bot may have been removed from the team, or a permission withdrawn)" : "";
                refused = $"Microsoft Graph answered {error.ResponseStatusCode} {error.Error?.Code}: {error.Error?.Message}{hint}";
                return Attempt.Done;
            }
            catch (Exception error) when (Unanswered(error, policy, cancellationToken) is { } said)
            {
                return new Attempt(said, null, null);
            }
        }, cancellationToken);
        return failure is not null ? (default, failure) : refused is not null ? (default, refused) : (result, null);
    }

    /// <summary>
    /// Up to 20 GETs in one <c>$batch</c>, taking as many pacing slots as it has steps. Steps answered
    /// 429 or 5xx go again in a smaller batch; when the batch itself fails, every step goes again.
    /// </summary>
    /// <returns>Per key: the parsed answer, or the step's status and why it failed.</returns>
    public async Task<Dictionary<string, BatchAnswer<T>>> BatchGetAsync<T>(
        Guid tenantId, PacedCallPolicy policy, GraphServiceClient client, IReadOnlyList<(string Key, RequestInformation Request)> steps, CancellationToken cancellationToken)
        where T : IParsable, new()
    {
        var answers = new Dictionary<string, BatchAnswer<T>>(StringComparer.Ordinal);
        var pending = steps.ToList();
        var failure = await RetryAsync(tenantId, policy, () => pending.Count, async () =>
        {
            var retry = new List<(string Key, RequestInformation Request)>();
            TimeSpan? retryAfter = null;
            string? said = null;
            int? worst = null;
            try
            {
                var content = new BatchRequestContentCollection(client);
                var keys = new Dictionary<string, (string Key, RequestInformation Request)>(StringComparer.Ordinal);
                foreach (var step in pending)
                {
                    keys[await content.AddBatchRequestStepAsync(step.Request)] = step;
                }

                var response = await client.Batch.PostAsync(content, cancellationToken);
                foreach (var (id, code) in await response.GetResponsesStatusCodesAsync())
                {
                    var step = keys[id];
                    var status = (int)code;
                    if (status is >= 200 and < 300)
                    {
                        answers[step.Key] = new BatchAnswer<T>(await response.GetResponseByIdAsync<T>(id), status, null);
                        continue;
                    }

                    using var failed = await response.GetResponseByIdAsync(id);
                    var text = $"Microsoft Graph answered {status} {await ErrorCodeAsync(failed)}";
                    if (IsTransient(status))
                    {
                        // The step most telling of throttling speaks for the batch: a 429 over a 500.
                        worst = worst is 429 ? 429 : status;
                        said = text;
                        retryAfter = Longest(retryAfter, failed.Headers.RetryAfter?.Delta);
                        retry.Add(step);
                    }
                    else
                    {
                        var hint = status == (int)HttpStatusCode.Forbidden ? " (a permission may have been withdrawn)" : "";
                        answers[step.Key] = new BatchAnswer<T>(default, status, text + hint);
                    }
                }
            }
            catch (ApiException error) when (IsTransient(error.ResponseStatusCode))
            {
                // The batch itself was refused (throttled as a whole, or Graph failed): every step goes again.
                retry = pending;
                pending = retry;
                return new Attempt($"Microsoft Graph's $batch was answered {error.ResponseStatusCode}", error.ResponseStatusCode, RetryAfterHeader.From(error.ResponseHeaders));
            }
            catch (Exception error) when (error is ApiException || Unanswered(error, policy, cancellationToken) is not null)
            {
                retry = pending;
                pending = retry;
                return new Attempt(Unanswered(error, policy, cancellationToken) ?? $"Microsoft Graph's $batch failed: {error.Message}", null, null);
            }

            pending = retry;
            return retry.Count == 0 ? Attempt.Done : new Attempt(said!, worst, retryAfter);
        }, cancellationToken);
        if (failure is not null)
        {
            pending.ForEach(step => answers[step.Key] = new BatchAnswer<T>(default, 0, failure));
        }

        return answers;
    }

    /// <summary>
    /// The loop both kinds of call share: slot, attempt, and on a transient failure tell the pacer
    /// (when it was throttling) and wait before the next attempt.
    /// </summary>
    /// <returns>null when the last attempt was done with; otherwise why it still failed after every attempt.</returns>
    private async Task<string?> RetryAsync(Guid tenantId, PacedCallPolicy policy, Func<int> slots, Func<Task<Attempt>> attempt, CancellationToken cancellationToken)
    {
        for (var number = 1; ; number++)
        {
            var sentAt = await pacer.WaitForSlotAsync(tenantId, policy.Operation, policy.PerSecond, cancellationToken, slots());
            var outcome = await attempt();
            if (outcome.Said is null)
            {
                return null;
            }

            var retryAfter = RetryAfterHeader.Capped(outcome.RetryAfter, pacer.MaxRetryAfter);
            if (outcome.Status is 429 or 503 or 504)
            {
                await pacer.ThrottledAsync(tenantId, policy.Operation, retryAfter ?? TimeSpan.FromSeconds(1), cancellationToken, sentAt);
            }

            if (number >= policy.MaxAttempts)
            {
                return $"{outcome.Said}, {number} times.";
            }

            await Task.Delay(retryAfter ?? RetryBackoff.Exponential(number, policy.FirstBackoff, PacedCallPolicy.MaxBackoff), clock, cancellationToken);
        }
    }

    private static bool IsTransient(int status) => status is 429 or >= 500;

    /// <summary>Why no answer came, when the call may be tried again; null for anything else.</summary>
    private static string? Unanswered(Exception error, PacedCallPolicy policy, CancellationToken cancellationToken) => error switch
    {
        HttpRequestException http => $"Could not reach Microsoft Graph: {http.Message}",
        TaskCanceledException when !cancellationToken.IsCancellationRequested => $"Microsoft Graph did not answer within {policy.CallTimeout.TotalSeconds:F0} s",
        _ => null,
    };

    private static async Task<string> ErrorCodeAsync(HttpResponseMessage response)
    {
        try
        {
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return body.RootElement.TryGetProperty("error", out var error) && error.TryGetProperty("code", out var code) ? code.GetString() ?? "" : "";
        }
        catch (JsonException)
        {
            return "";
        }
    }

    private static TimeSpan? Longest(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : a > b ? a : b;

    /// <summary>What one attempt came to: done (nothing said), or a transient failure with its status (null: no answer) and <c>Retry-After</c>.</summary>
    private sealed record Attempt(string? Said, int? Status, TimeSpan? RetryAfter)
    {
        public static readonly Attempt Done = new(null, null, null);
    }
}
