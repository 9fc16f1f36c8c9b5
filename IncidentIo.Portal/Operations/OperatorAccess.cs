using System.Net;
using System.Security.Claims;
using IncidentIo.Portal.Setup;
using Microsoft.Extensions.Options;

namespace IncidentIo.Portal.Operations;

/// <summary>
/// Who may use the operator surfaces (<c>/system</c>, <c>/hangfire</c>, <c>/healthz</c> details):
/// our support staff, signed in, everywhere; in Development also someone on this machine. Never
/// "anyone from loopback" in Production: behind a reverse proxy on the same host that is everyone.
/// The client address is the one forwarded-headers handling settled on (see <c>ProxyHeaders</c>).
/// </summary>
public sealed class OperatorAccess(IOptions<SupportOptions> support, IHostEnvironment environment)
{
    public bool IsOperator(HttpContext http) =>
        support.Value.IsStaff(http.User) || (environment.IsDevelopment() && IsLoopback(http.Connection.RemoteIpAddress));

    /// <summary>
    /// In a circuit there is no request to read an address from: staff, or Development, whose
    /// pages are only reached through <see cref="IsOperator(HttpContext)"/> at the door.
    /// </summary>
    public bool IsOperator(ClaimsPrincipal user) => support.Value.IsStaff(user) || environment.IsDevelopment();

    private static bool IsLoopback(IPAddress? address) => address is not null && IPAddress.IsLoopback(address);
}
