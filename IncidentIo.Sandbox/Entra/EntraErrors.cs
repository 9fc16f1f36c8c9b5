using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace IncidentIo.Sandbox.Entra;

/// <summary>
/// Entra's error texts: the AADSTS line, then Trace ID, Correlation ID and Timestamp on their own
/// CRLF-separated lines. The correlation id is the caller's <c>client-request-id</c> when it sent one,
/// as Entra does, so a product can match a failure to its own request.
/// </summary>
public sealed record EntraError(int Code, string Message, Guid TraceId, Guid CorrelationId, DateTimeOffset Timestamp)
{
    public string TimestampText => Timestamp.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public string Description =>
        $"AADSTS{Code}: {Message}\r\nTrace ID: {TraceId}\r\nCorrelation ID: {CorrelationId}\r\nTimestamp: {TimestampText}";

    public static EntraError For(HttpContext http, TimeProvider time, int code, string message)
    {
        var correlation = Guid.TryParse(http.Request.Headers["client-request-id"], out var id) ? id : Guid.NewGuid();
        return new EntraError(code, message, Guid.NewGuid(), correlation, time.GetUtcNow());
    }

    /// <summary>Where the error is explained; served by the Sandbox like Entra's <c>/error</c> page.</summary>
    public string ErrorUri(string origin) => $"{origin}/error?code={Code}";

    /// <summary>The JSON body of a token endpoint error.</summary>
    public JsonObject ToTokenJson(string error, string origin) => new()
    {
        ["error"] = error,
        ["error_description"] = Description,
        ["error_codes"] = new JsonArray(Code),
        ["timestamp"] = TimestampText,
        ["trace_id"] = TraceId.ToString(),
        ["correlation_id"] = CorrelationId.ToString(),
        ["error_uri"] = ErrorUri(origin),
    };
}

/// <summary>AADSTS messages the Sandbox uses, worded as Entra words them.</summary>
public static class Aadsts
{
    public static string AppNotFound(string clientId, string directory) =>
        $"Application with identifier '{clientId}' was not found in the directory '{directory}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.";

    public static string RedirectMismatch(string? redirectUri, string clientId) =>
        $"The redirect URI '{redirectUri}' specified in the request does not match the redirect URIs configured for the application '{clientId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.";

    public static string TenantNotFound(string tenant) =>
        $"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.";

    public static string MissingParameter(string name) => $"The request body must contain the following parameter: '{name}'.";

    public const string NoTenant = "No tenant-identifying information found in either the request or implied by any provided credentials.";

    public const string UserDeclined = "User declined to consent to access the app.";

    public const string AdminRequired = "The grant requires admin permission.";

    public const string LoginRequired = "Via a 'prompt=none' request, the user is not signed in. The user must sign in interactively.";

    public static string ConsentRequired(string clientId) =>
        $"The user or administrator has not consented to use the application with ID '{clientId}'. Send an interactive authorization request for this user and resource.";

    public static string UserNotInTenant(string upn, string tenantName) =>
        $"User account '{upn}' from identity provider 'live.com' does not exist in tenant '{tenantName}' and cannot access the application in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Microsoft Entra user account.";

    public const string UnknownUser = "The user account does not exist in the directory. To sign into this application, the account must be added to the directory.";
}
