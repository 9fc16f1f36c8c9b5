using IncidentIo.Sandbox.Faults;
using IncidentIo.Sandbox.Graph;
using IncidentIo.Sandbox.Hosting;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Throttling;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace IncidentIo.Sandbox.Control;

/// <summary>
/// Control API for the Graph pipeline: throttling on/off, fault settings per tenant and user, the
/// users' Teams flags, new tenants and the large-tenant generator. JSON, under <c>/sandbox/api</c>.
/// </summary>
public static class PipelineControlEndpoints
{
    public static IServiceCollection AddGraphPipelineServices(this IServiceCollection services, SandboxOptions options) => services
        .AddSingleton(new Throttler(options.Throttling, options.TimeProvider))
        .AddSingleton(new FaultInjector(options.FaultSeed, options.TimeProvider))
        .AddSingleton<BatchDispatcher>()
        .AddSingleton<GraphRequestLog>();

    public static void MapPipelineControl(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/sandbox/api");
        api.MapGet("/throttling", (Throttler t) => Throttling(t));
        api.MapPut("/throttling", (ThrottlingSwitch body, Throttler t) =>
        {
            t.Enabled = body.Enabled;
            return Throttling(t);
        });
        api.MapPost("/throttling/reset", (Throttler t) =>
        {
            t.Reset();
            return Results.NoContent();
        });
        api.MapPost("/tenants", AddTenant);
        api.MapGet("/tenants/{tenant}/faults", (string tenant, SandboxRuntime r, FaultInjector f) =>
            r.State.FindTenant(tenant) is { } t ? Results.Ok(FaultView.Of(f.ForTenant(t.Id), f.Now)) : Results.NotFound());
        api.MapPut("/tenants/{tenant}/faults", (string tenant, FaultRequest body, SandboxRuntime r, FaultInjector f) =>
        {
            if (r.State.FindTenant(tenant) is not { } t)
            {
                return Results.NotFound();
            }

            if (body.Problem() is { } problem)
            {
                return Results.BadRequest(new { error = problem });
            }

            f.SetTenant(t.Id, body.ToSettings(f.Now));
            return Results.Ok(FaultView.Of(f.ForTenant(t.Id), f.Now));
        });
        api.MapDelete("/tenants/{tenant}/faults", (string tenant, SandboxRuntime r, FaultInjector f) =>
        {
            if (r.State.FindTenant(tenant) is not { } t)
            {
                return Results.NotFound();
            }

            f.SetTenant(t.Id, FaultSettings.None);
            return Results.NoContent();
        });
        api.MapGet("/tenants/{tenant}/users/{user}/faults", (string tenant, string user, SandboxRuntime r, FaultInjector f) =>
            FindUser(r, tenant, user) is { } u ? Results.Ok(f.ForUser(u.Id) is { } s ? FaultView.Of(s, f.Now) : null) : Results.NotFound());
        api.MapPut("/tenants/{tenant}/users/{user}/faults", (string tenant, string user, FaultRequest body, SandboxRuntime r, FaultInjector f) =>
        {
            if (FindUser(r, tenant, user) is not { } u)
            {
                return Results.NotFound();
            }

            if (body.Problem() is { } problem)
            {
                return Results.BadRequest(new { error = problem });
            }

            f.SetUser(u.Id, body.ToSettings(f.Now));
            return Results.Ok(FaultView.Of(f.ForUser(u.Id)!, f.Now));
        });
        api.MapDelete("/tenants/{tenant}/users/{user}/faults", (string tenant, string user, SandboxRuntime r, FaultInjector f) =>
        {
            if (FindUser(r, tenant, user) is not { } u)
            {
                return Results.NotFound();
            }

            f.SetUser(u.Id, null);
            return Results.NoContent();
        });
        api.MapPatch("/tenants/{tenant}/users/{user}", (string tenant, string user, UserFlags body, SandboxRuntime r) =>
            FindUser(r, tenant, user) is { } u ? Results.Ok(SetFlags(r.State, u.Id, body)) : Results.NotFound());
        api.MapPost("/tenants/{tenant}/generate", (string tenant, GenerateRequest body, SandboxRuntime r) =>
        {
            if (r.State.FindTenant(tenant) is not { } t)
            {
                return Results.NotFound();
            }

            if (body.Users is < 1 or > 1_000_000)
            {
                return Results.BadRequest(new { error = "users must be between 1 and 1,000,000." });
            }

            var made = TenantGenerator.Generate(r.State, t.Id, body.Users, body.Seed);
            return Results.Ok(new { tenantId = t.Id, users = made.Users.Count, made.Seed, elapsedMs = (long)made.Elapsed.TotalMilliseconds });
        });
    }

    public static User SetFlags(SandboxState state, Guid userId, UserFlags flags) => state.UpdateUser(userId, u => u with
    {
        BlockedByPolicy = flags.BlockedByPolicy ?? u.BlockedByPolicy,
        NeverOpenedTeams = flags.NeverOpenedTeams ?? u.NeverOpenedTeams,
    })!;

    private static User? FindUser(SandboxRuntime runtime, string tenant, string user) =>
        runtime.State.FindTenant(tenant) is { } t ? runtime.State.FindUser(t.Id, user) : null;

    private static IResult AddTenant(NewTenant body, SandboxRuntime runtime)
    {
        if (string.IsNullOrWhiteSpace(body.DisplayName) || string.IsNullOrWhiteSpace(body.Domain) || !body.Domain.Contains('.', StringComparison.Ordinal))
        {
            return Results.BadRequest(new { error = "displayName and domain (e.g. fabrikam.example) are required." });
        }

        var id = body.Id ?? Guid.NewGuid();
        if (runtime.State.FindTenant(id.ToString()) is not null || runtime.State.FindTenant(body.Domain) is not null)
        {
            return Results.Conflict(new { error = "A tenant with that id or domain exists." });
        }

        var tenant = runtime.State.AddTenant(new Tenant(id, body.DisplayName, [body.Domain.ToLowerInvariant()]));
        return Results.Created($"/sandbox/api/tenants/{tenant.Id}", tenant);
    }

    private static object Throttling(Throttler t) => new
    {
        enabled = t.Enabled,
        perTeamPerSecond = t.Options.PerTeamPerSecond,
        globalPerAppPerSecond = t.Options.GlobalPerAppPerSecond,
        rules = t.Options.Rules,
        rejected = t.Rejected,
    };

    public sealed record ThrottlingSwitch(bool Enabled);

    public sealed record NewTenant(string DisplayName, string Domain, Guid? Id = null);

    public sealed record UserFlags(bool? BlockedByPolicy = null, bool? NeverOpenedTeams = null);

    public sealed record GenerateRequest(int Users = 1000, int Seed = 42);
}

/// <summary>The body of <c>PUT …/faults</c>. <see cref="StormSeconds"/> starts a 429 storm that long from now.</summary>
public sealed record FaultRequest(
    int LatencyMs = 0,
    double ErrorRate = 0,
    IReadOnlyList<int>? ErrorStatuses = null,
    int RetryAfterSeconds = 2,
    int StormSeconds = 0,
    bool Timeout = false,
    bool FailAsyncOperations = false)
{
    public string? Problem() =>
        LatencyMs is < 0 or > 600_000 ? "latencyMs must be between 0 and 600000."
        : ErrorRate is < 0 or > 1 ? "errorRate must be between 0 and 1."
        : ErrorStatuses?.Any(s => s is < 500 or > 599) == true ? "errorStatuses must be 5xx statuses."
        : RetryAfterSeconds is < 0 or > 3600 ? "retryAfterSeconds must be between 0 and 3600."
        : StormSeconds is < 0 or > 86_400 ? "stormSeconds must be between 0 and 86400."
        : null;

    public FaultSettings ToSettings(DateTimeOffset now) => new()
    {
        LatencyMs = LatencyMs,
        ErrorRate = ErrorRate,
        ErrorStatuses = ErrorStatuses is { Count: > 0 } statuses ? statuses : [503],
        RetryAfterSeconds = RetryAfterSeconds,
        StormUntil = StormSeconds > 0 ? now.AddSeconds(StormSeconds) : null,
        Timeout = Timeout,
        FailAsyncOperations = FailAsyncOperations,
    };
}

/// <summary>Fault settings as the control API shows them.</summary>
public sealed record FaultView(int LatencyMs, double ErrorRate, IReadOnlyList<int> ErrorStatuses, int RetryAfterSeconds, DateTimeOffset? StormUntil, int StormSecondsLeft, bool Timeout, bool FailAsyncOperations)
{
    public static FaultView Of(FaultSettings s, DateTimeOffset now) => new(
        s.LatencyMs, s.ErrorRate, s.ErrorStatuses, s.RetryAfterSeconds, s.StormUntil,
        s.StormUntil is { } until && until > now ? (int)Math.Ceiling((until - now).TotalSeconds) : 0,
        s.Timeout, s.FailAsyncOperations);
}
