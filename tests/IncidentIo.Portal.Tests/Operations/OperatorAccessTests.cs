using System.Net;
using System.Security.Claims;
using Hangfire;
using Hangfire.Dashboard;
using Hangfire.Storage;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Portal.Operations;
using IncidentIo.Portal.Setup;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;

namespace IncidentIo.Portal.Tests.Operations;

/// <summary>
/// Who may use /system, /hangfire and the health details: staff everywhere; the machine itself
/// only in Development (in Production a reverse proxy on the same host makes everyone "loopback").
/// </summary>
public sealed class OperatorAccessTests
{
    private static readonly IPAddress Remote = IPAddress.Parse("203.0.113.7");

    [Theory]
    [InlineData("Production")]
    [InlineData("Development")]
    public void Staff_from_our_tenant_may_from_anywhere(string environment)
    {
        Assert.True(Dashboard(environment, Staff(), Remote));
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Development")]
    public void A_customers_admin_or_an_anonymous_remote_caller_may_not(string environment)
    {
        Assert.False(Dashboard(environment, Person("c0a7050c-0000-4000-8000-000000000000"), Remote));
        Assert.False(Dashboard(environment, Anonymous(), Remote));
    }

    [Fact]
    public void In_production_loopback_is_no_pass()
    {
        Assert.False(Dashboard("Production", Anonymous(), IPAddress.Loopback));
        Assert.False(Dashboard("Production", Anonymous(), IPAddress.IPv6Loopback));
    }

    [Fact]
    public void In_development_someone_on_the_machine_itself_may()
    {
        Assert.True(Dashboard("Development", Anonymous(), IPAddress.Loopback));
    }

    [Fact]
    public void In_a_circuit_production_asks_for_staff()
    {
        Assert.True(Access("Production").IsOperator(Staff()));
        Assert.False(Access("Production").IsOperator(Anonymous()));
        Assert.False(Access("Production").IsOperator(Person("c0a7050c-0000-4000-8000-000000000000")));
    }

    private static bool Dashboard(string environment, ClaimsPrincipal user, IPAddress from)
    {
        var services = new ServiceCollection();
        services.AddSingleton(Access(environment));
        var http = new DefaultHttpContext { User = user, RequestServices = services.BuildValidated() };
        http.Connection.RemoteIpAddress = from;
        http.Connection.LocalIpAddress = IPAddress.Loopback;
        return new OperatorsDashboardFilter().Authorize(new AspNetCoreDashboardContext(new UnusedStorage(), new DashboardOptions(), http));
    }

    private static OperatorAccess Access(string environment) => new(
        Microsoft.Extensions.Options.Options.Create(new SupportOptions { StaffTenantId = SandboxDefaults.StaffTenantId }),
        new Environment(environment));

    /// <summary>The filter never reads job storage (and a real one would log through another test host's disposed logger).</summary>
    private sealed class UnusedStorage : JobStorage
    {
        public override IMonitoringApi GetMonitoringApi() => throw new NotSupportedException();

        public override IStorageConnection GetConnection() => throw new NotSupportedException();
    }

    private sealed class Environment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;

        public string ApplicationName { get; set; } = "IncidentIo.Portal";

        public string ContentRootPath { get; set; } = AppContext.BaseDirectory;

        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }

    private static ClaimsPrincipal Anonymous() => new(new ClaimsIdentity());

    private static ClaimsPrincipal Staff() => Person(SandboxDefaults.StaffTenantId, "Support.Staff");

    private static ClaimsPrincipal Person(string tenantId, string? role = null) => new(new ClaimsIdentity(
    [
        new Claim("http://schemas.microsoft.com/identity/claims/tenantid", tenantId),
        new Claim("http://schemas.microsoft.com/identity/claims/objectidentifier", Guid.NewGuid().ToString()),
        .. role is null ? Array.Empty<Claim>() : [new Claim("roles", role), new Claim(ClaimTypes.Role, role)],
    ], "test"));
}
