using Hangfire.Dashboard;

namespace IncidentIo.Portal.Operations;

/// <summary>The job dashboard is for operators (<see cref="OperatorAccess"/>); customers' admins and everyone else are refused.</summary>
public sealed class OperatorsDashboardFilter : IDashboardAuthorizationFilter
{
    public bool Authorize(DashboardContext context)
    {
        var http = context.GetHttpContext();
        return http.RequestServices.GetRequiredService<OperatorAccess>().IsOperator(http);
    }
}
