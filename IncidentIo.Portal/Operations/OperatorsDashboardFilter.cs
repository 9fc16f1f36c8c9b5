using Hangfire.Dashboard;
using IncidentIo.Portal.Setup;
using Microsoft.Extensions.Options;

namespace IncidentIo.Portal.Operations;

/// <summary>
/// The job dashboard is for operators: our support staff signed in from our own tenant, or
/// someone on the machine itself (loopback). Customers' admins and everyone else are refused.
/// </summary>
public sealed class OperatorsDashboardFilter : IDashboardAuthorizationFilter
{
    private static readonly LocalRequestsOnlyAuthorizationFilter Local = new();

    public bool Authorize(DashboardContext context)
    {
        var http = context.GetHttpContext();
        return http.RequestServices.GetRequiredService<IOptions<SupportOptions>>().Value.IsStaff(http.User) || Local.Authorize(context);
    }
}
