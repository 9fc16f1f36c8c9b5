using System.Globalization;
using System.Net;
using System.Text;
using IncidentIo.Sandbox.State;
using Microsoft.AspNetCore.Http;

namespace IncidentIo.Sandbox.Entra;

/// <summary>
/// The HTML the Sandbox shows a browser. Field and button names are stable because tests and the
/// product's end-to-end journeys drive these pages: the sign-in form has an <c>Email</c> input and a
/// <c>Sign in</c> button, consent pages have <c>Accept</c> and <c>Cancel</c>.
/// </summary>
public static class Pages
{
    public const string LoginPath = "/sandbox/entra/login";
    public const string ConsentPath = "/sandbox/entra/consent";

    public static IResult SignIn(PendingRequest request, string appName, IReadOnlyList<User> accounts, string? error)
    {
        var body = new StringBuilder();
        body.Append("<h1>Sign in</h1>");
        body.Append(CultureInfo.InvariantCulture, $"<p>to continue to <strong>{E(appName)}</strong></p>");
        if (error is not null)
        {
            body.Append(CultureInfo.InvariantCulture, $"<p class=\"error\" role=\"alert\" id=\"error\">{E(error)}</p>");
        }

        if (accounts.Count > 0)
        {
            body.Append("<h2>Pick an account</h2><ul class=\"tiles\">");
            foreach (var account in accounts)
            {
                body.Append(CultureInfo.InvariantCulture, $"<li><form method=\"post\" action=\"{LoginPath}\">{Hidden("ctx", request.Id)}{Hidden("Email", account.UserPrincipalName)}")
                    .Append(CultureInfo.InvariantCulture, $"<button type=\"submit\" class=\"tile\" name=\"tile\" value=\"{E(account.UserPrincipalName)}\">{E(account.DisplayName)} <small>{E(account.UserPrincipalName)}</small></button></form></li>");
            }

            body.Append("</ul><h2>Use another account</h2>");
        }

        body.Append(CultureInfo.InvariantCulture, $"<form method=\"post\" action=\"{LoginPath}\" id=\"signin\">{Hidden("ctx", request.Id)}")
            .Append(CultureInfo.InvariantCulture, $"<label for=\"email\">Email</label><input id=\"email\" name=\"Email\" type=\"email\" autocomplete=\"username\" value=\"{E(request.LoginHint ?? "")}\" autofocus>")
            .Append("<button type=\"submit\">Sign in</button></form>")
            .Append("<p class=\"note\">Sandbox: no password. Any account of a Sandbox tenant can sign in.</p>");
        return Html("Sign in to your account", body.ToString());
    }

    public static IResult Consent(PendingRequest request, string appName, User user, IEnumerable<string> permissions, bool forOrganization, bool offerOrganization)
    {
        var body = new StringBuilder();
        body.Append(CultureInfo.InvariantCulture, $"<p>{E(user.UserPrincipalName)}</p><h1>Permissions requested</h1>");
        if (forOrganization)
        {
            body.Append("<h2>Accept for your organization</h2>");
        }

        body.Append(CultureInfo.InvariantCulture, $"<p><strong>{E(appName)}</strong> would like to:</p><ul id=\"permissions\">");
        foreach (var permission in permissions)
        {
            body.Append(CultureInfo.InvariantCulture, $"<li>{E(permission)}</li>");
        }

        body.Append("</ul>");
        body.Append(CultureInfo.InvariantCulture, $"<form method=\"post\" action=\"{ConsentPath}\">{Hidden("ctx", request.Id)}");
        if (offerOrganization)
        {
            body.Append("<p><label><input type=\"checkbox\" name=\"consent_org\" value=\"on\"> Consent on behalf of your organization</label></p>");
        }

        body.Append("<button type=\"submit\" name=\"action\" value=\"accept\">Accept</button> ")
            .Append("<button type=\"submit\" name=\"action\" value=\"cancel\">Cancel</button></form>");
        return Html("Permissions requested", body.ToString());
    }

    /// <summary>What a non-admin sees on the admin consent endpoint.</summary>
    public static IResult NeedAdminApproval(string appName, User user, EntraError error, string returnUrl)
    {
        var body = $"<p>{E(user.UserPrincipalName)}</p><h1>Need admin approval</h1>"
            + $"<p><strong>{E(appName)}</strong> needs permission to access resources in your organization that only an admin can grant. Please ask an admin to grant permission to this app before you can use it.</p>"
            + Details(error)
            + $"<p><a id=\"return\" href=\"{E(returnUrl)}\">Return to the application without granting consent</a></p>";
        return Html("Need admin approval", body, StatusCodes.Status200OK);
    }

    /// <summary>An error Entra shows instead of redirecting (bad client id, bad redirect URI).</summary>
    public static IResult Error(EntraError error) =>
        Html("Sign in error", $"<h1>Sorry, but we're having trouble signing you in.</h1>{Details(error)}", StatusCodes.Status400BadRequest);

    /// <summary>response_mode=form_post: a page that posts the result to the redirect URI at once.</summary>
    public static IResult FormPost(string redirectUri, IEnumerable<KeyValuePair<string, string?>> fields)
    {
        var body = new StringBuilder($"<form method=\"post\" name=\"hiddenform\" action=\"{E(redirectUri)}\">");
        foreach (var (name, value) in fields.Where(f => f.Value is not null))
        {
            body.Append(Hidden(name, value!));
        }

        body.Append("<noscript><button type=\"submit\">Continue</button></noscript></form>")
            .Append("<script>document.forms.hiddenform.submit();</script>");
        return Html("Working...", body.ToString());
    }

    public static IResult SignedOut() => Html("Signed out", "<h1>You signed out of your account</h1><p>It's a good idea to close all browser windows.</p>");

    public static IResult ErrorLookup(string? code) =>
        Html("Error lookup", $"<h1>Error code {E(code ?? "")}</h1><p>See the Microsoft Entra authentication and authorization error codes reference for AADSTS{E(code ?? "")}.</p>");

    private static string Details(EntraError error) =>
        $"<p class=\"error\" role=\"alert\" id=\"error\">AADSTS{error.Code}: {E(error.Message)}</p>"
        + $"<dl><dt>Request Id</dt><dd id=\"trace-id\">{error.TraceId}</dd><dt>Correlation Id</dt><dd id=\"correlation-id\">{error.CorrelationId}</dd><dt>Timestamp</dt><dd>{E(error.TimestampText)}</dd></dl>";

    private static string Hidden(string name, string value) => $"<input type=\"hidden\" name=\"{E(name)}\" value=\"{E(value)}\">";

    private static string E(string value) => WebUtility.HtmlEncode(value);

    private static IResult Html(string title, string body, int status = StatusCodes.Status200OK) =>
        Results.Content(
            $"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{E(title)}</title><style>{Style}</style></head><body><main>{body}</main><footer>IncidentIo Sandbox · simulated Microsoft Entra ID</footer></body></html>",
            "text/html; charset=utf-8",
            Encoding.UTF8,
            status);

    private const string Style =
        "*{box-sizing:border-box}body{font-family:Segoe UI,sans-serif;background:#f2f2f2;overflow-wrap:anywhere}main{background:#fff;max-width:440px;margin:40px auto;padding:32px;box-shadow:0 2px 6px rgba(0,0,0,.2)}"
        + "label{display:block;margin-top:12px}input[type=email]{width:100%;padding:6px;margin:8px 0}button{background:#0067b8;color:#fff;border:0;padding:8px 24px;margin-top:12px}"
        + ".tile{background:#fff;color:#000;border:1px solid #ccc;width:100%;text-align:left}.tiles{list-style:none;padding:0}.error{color:#e81123}footer{text-align:center;color:#666;font-size:small}";
}
