using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace IncidentIo.Sandbox.Graph;

/// <summary>Graph's error envelope: <c>error.code</c>, <c>message</c>, <c>innerError</c> with ids and date.</summary>
public static class GraphErrors
{
    public static IResult Result(HttpContext http, int status, string code, string message) =>
        Results.Json(Envelope(http, code, message), statusCode: status);

    public static JsonObject Envelope(HttpContext http, string code, string message) => new()
    {
        ["error"] = new JsonObject
        {
            ["code"] = code,
            ["message"] = message,
            ["innerError"] = new JsonObject
            {
                ["date"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture),
                ["request-id"] = http.Response.Headers["request-id"].ToString(),
                ["client-request-id"] = http.Response.Headers["client-request-id"].ToString(),
            },
        },
    };

    public static IResult Forbidden(HttpContext http) =>
        Result(http, StatusCodes.Status403Forbidden, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");

    public static IResult BadRequest(HttpContext http, string code, string message) =>
        Result(http, StatusCodes.Status400BadRequest, code, message);

    public static IResult NotFound(HttpContext http, string id) =>
        Result(http, StatusCodes.Status404NotFound, "Request_ResourceNotFound",
            $"Resource '{id}' does not exist or one of its queried reference-property objects are not present.");
}
