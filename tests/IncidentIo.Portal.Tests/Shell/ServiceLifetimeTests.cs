using System.Net;
using IncidentIo.Domain;
using IncidentIo.Domain.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace IncidentIo.Portal.Tests.Shell;

/// <summary>
/// Every host is built with lifetime and construction checks, in every environment: a singleton
/// holding a scoped service stops the start, as it did for people running `dotnet run`.
/// </summary>
public sealed class ServiceLifetimeTests
{
    [Theory]
    [InlineData("Development")]
    [InlineData("Production")]
    public async Task The_portal_builds_and_serves_in_each_environment(string environment)
    {
        await using var portal = PortalFactory.OnSqlite().InEnvironment(environment);
        using var client = portal.CreateClient();

        var health = await client.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Theory]
    [InlineData("Development")]
    [InlineData("Production")]
    public async Task A_singleton_that_captures_a_scoped_service_stops_the_portal_from_starting(string environment)
    {
        await using var portal = PortalFactory.OnSqlite().InEnvironment(environment);
        await using var broken = portal.WithWebHostBuilder(web => web.ConfigureTestServices(services =>
            services.AddScoped<ScopedThing>().AddSingleton<CapturesScoped>()));

        var error = Assert.ThrowsAny<Exception>(() => broken.CreateClient());

        Assert.Contains("Cannot consume scoped service", Flatten(error), StringComparison.Ordinal);
    }

    [Fact]
    public void A_worker_shaped_host_refuses_the_same_mistake()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production" });
        builder.Configuration["DataFolder"] = Path.Combine(Path.GetTempPath(), $"incidentio-lifetimes-{Guid.NewGuid():N}");
        builder.AddIncidentIoDomain("worker", runJobServer: false);
        builder.Services.AddScoped<ScopedThing>().AddSingleton<CapturesScoped>();

        var error = Assert.ThrowsAny<Exception>(() => builder.Build());

        Assert.Contains("Cannot consume scoped service", Flatten(error), StringComparison.Ordinal);
    }

    [Fact]
    public void The_test_helper_checks_the_same_way()
    {
        var services = new ServiceCollection().AddScoped<ScopedThing>().AddSingleton<CapturesScoped>();

        var error = Assert.ThrowsAny<Exception>(() => services.BuildValidated());

        Assert.Contains("Cannot consume scoped service", Flatten(error), StringComparison.Ordinal);
    }

    private static string Flatten(Exception error) => error is AggregateException aggregate
        ? string.Join("\n", aggregate.Flatten().InnerExceptions.Select(e => e.Message))
        : error.ToString();

    private sealed class ScopedThing;

    private sealed class CapturesScoped(ScopedThing scoped)
    {
        public ScopedThing Scoped { get; } = scoped;
    }
}
