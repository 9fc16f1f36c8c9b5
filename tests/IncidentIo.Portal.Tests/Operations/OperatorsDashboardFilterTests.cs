using System.Net;
using System.Security.Claims;
using Hangfire;
using Hangfire.Dashboard;
using Hangfire.Storage;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Portal.Operations;
using IncidentIo.Portal.Setup;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using IncidentIo.Domain.Hosting;

namespace IncidentIo.Portal.Tests.Operations;

/// <summary>Who may open the job dashboard: staff signed in from our tenant, or the machine itself.</summary>
public sealed class OperatorsDashboardFilterTests
{
    [Fact]
    public void Staff_from_our_tenant_may_open_it_from_anywhere()
    {
        Assert.True(Authorize(Person(SandboxDefaults.StaffTenantId), IPAddress.Parse("203.0.113.7")));
    }

    [Fact]
    public void A_customers_admin_or_an_anonymous_remote_caller_may_not()
    {
        Assert.False(Authorize(Person("c0a7050c-0000-4000-8000-000000000000"), IPAddress.Parse("203.0.113.7")));
        Assert.False(Authorize(new ClaimsPrincipal(new ClaimsIdentity()), IPAddress.Parse("203.0.113.7")));
    }

    [Fact]
    public void Someone_on_the_machine_itself_may()
    {
        Assert.True(Authorize(new ClaimsPrincipal(new ClaimsIdentity()), IPAddress.Loopback));
    }

    private static bool Authorize(ClaimsPrincipal user, IPAddress from)
    {
        var services = new ServiceCollection();
        services.AddOptions<SupportOptions>().Configure(o => o.StaffTenantId = SandboxDefaults.StaffTenantId);
        var http = new DefaultHttpContext { User = user, RequestServices = services.BuildValidated() };
        http.Connection.RemoteIpAddress = from;
        http.Connection.LocalIpAddress = IPAddress.Loopback;
        return new OperatorsDashboardFilter().Authorize(new AspNetCoreDashboardContext(new UnusedStorage(), new DashboardOptions(), http));
    }

    /// <summary>The filter never reads job storage (and a real one would log through another test host's disposed logger).</summary>
    private sealed class UnusedStorage : JobStorage
    {
        public override IMonitoringApi GetMonitoringApi() => throw new NotSupportedException();

        public override IStorageConnection GetConnection() => throw new NotSupportedException();
    }

    private static ClaimsPrincipal Person(string tenantId) => new(new ClaimsIdentity(
    [
        new Claim("http://schemas.microsoft.com/identity/claims/tenantid", tenantId),
        new Claim("http://schemas.microsoft.com/identity/claims/objectidentifier", Guid.NewGuid().ToString()),
    ], "test"));
}
