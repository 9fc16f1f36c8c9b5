using System.Diagnostics;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Tests.Infrastructure;
using Microsoft.Graph;
using Microsoft.Graph.Models;
using Xunit.Abstractions;
using User = Microsoft.Graph.Models.User;

namespace IncidentIo.Sandbox.Tests.Pipeline;

[Collection(RunsAlone.Name)] // it measures time
public sealed class TenantGeneratorTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_100k_user_tenant_is_generated_fast_with_unique_upns_and_pages_through_graph_in_ceil_n_over_999_requests()
    {
        const int count = 100_000;
        await using var sandbox = await OwnSandbox.StartAsync();
        var tenantId = Guid.NewGuid();
        sandbox.State.AddTenant(new Tenant(tenantId, "Northwind", ["northwind.example"]));

        var made = TenantGenerator.Generate(sandbox.State, tenantId, users: count, seed: 42);

        output.WriteLine($"Generated {made.Users.Count:N0} users in {made.Elapsed.TotalMilliseconds:F0} ms");
        Assert.True(made.Elapsed < TimeSpan.FromSeconds(5), $"took {made.Elapsed}"); // about 0.6 s on a quiet machine
        var users = sandbox.State.Users(tenantId);
        Assert.Equal(count, users.Count);
        Assert.Equal(count, users.Select(u => u.UserPrincipalName.ToUpperInvariant()).Distinct().Count());
        Assert.Equal(count, users.Select(u => u.Id).Distinct().Count());
        Assert.All(users, u => Assert.Matches("^[a-z]+\\.[a-z]+[0-9]*@northwind\\.example$", u.UserPrincipalName));
        Assert.InRange(users.Count(u => u.NeverOpenedTeams), 700, 1300);
        Assert.InRange(users.Count(u => u.BlockedByPolicy), 100, 350);

        var graph = sandbox.Graph(await sandbox.AppTokenAsync(sandbox.ConsentedApp(tenantId), tenantId));
        var requests = 1;
        var clock = Stopwatch.StartNew();
        var first = await graph.Users.GetAsync(r => r.QueryParameters.Top = 999);
        var seen = new HashSet<string>();
        var iterator = PageIterator<User, UserCollectionResponse>.CreatePageIterator(graph, first!, u => seen.Add(u.Id!), request =>
        {
            requests++;
            return request;
        });
        await iterator.IterateAsync();

        output.WriteLine($"Paged {seen.Count:N0} users with $top=999 in {requests} requests, {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(count, seen.Count);
        Assert.Equal((count + 998) / 999, requests);
    }

    [Fact]
    public void The_same_seed_gives_the_same_users_and_taken_upns_are_skipped()
    {
        var state = new SandboxState(TimeProvider.System);
        DemoSeed.Apply(state);
        var a = Guid.NewGuid();
        var b = Guid.NewGuid();
        state.AddTenant(new Tenant(a, "A", ["a.example"]));
        state.AddTenant(new Tenant(b, "B", ["b.example"]));

        var first = TenantGenerator.Generate(state, a, users: 500, seed: 9);
        var second = TenantGenerator.Generate(state, b, users: 500, seed: 9);
        var more = TenantGenerator.Generate(state, DemoSeed.ContosoTenantId, users: 5000, seed: 1);

        Assert.Equal(first.Users.Select(u => u.DisplayName), second.Users.Select(u => u.DisplayName));
        Assert.Equal(first.Users.Select(u => u.UserPrincipalName.Split('@')[0]), second.Users.Select(u => u.UserPrincipalName.Split('@')[0]));
        Assert.Equal(5000 + DemoSeed.ContosoUserCount, state.Users(DemoSeed.ContosoTenantId).Count);
        Assert.Equal(5000, more.Users.Count);
        Assert.Throws<InvalidOperationException>(() => TenantGenerator.Generate(state, Guid.NewGuid(), users: 1));
    }
}
