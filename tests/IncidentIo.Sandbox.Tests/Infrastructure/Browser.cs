using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;

namespace IncidentIo.Sandbox.Tests.Infrastructure;

/// <summary>
/// Drives the Sandbox's sign-in and consent pages over HTTP the way a person would with a browser:
/// keeps cookies, fills the Email field, presses Accept or Cancel, and stops at the redirect to the app.
/// </summary>
public sealed partial class Browser(SandboxFixture sandbox) : IDisposable
{
    private readonly CookieContainer _cookies = new();
    private HttpClient? _client;

    private HttpClient Client => _client ??= CreateClient();

    public async Task<Page> GetAsync(string url) => await Page.ReadAsync(await Client.GetAsync(url));

    /// <summary>Follows a redirect, resolving a relative Location against the request it answered.</summary>
    public Task<Page> FollowAsync(Page redirect) =>
        GetAsync(new Uri(redirect.RequestUri!, redirect.Location ?? throw new InvalidOperationException("Not a redirect.")).ToString());

    /// <summary>Does what the auto-submitting form_post page's script does: posts its fields to the app.</summary>
    public async Task<Page> SubmitFormPostAsync(Page formPost)
    {
        var action = WebUtility.HtmlDecode(FormAction().Match(formPost.Html).Groups[1].Value);
        using var content = new FormUrlEncodedContent(formPost.Result);
        return await Page.ReadAsync(await Client.PostAsync(action, content));
    }

    /// <summary>Submits the page's form whose hidden fields include <c>ctx</c>, with extra fields.</summary>
    public async Task<Page> PostAsync(string path, Page from, params (string Name, string Value)[] fields)
    {
        var values = new List<KeyValuePair<string, string>> { new("ctx", from.Context) };
        values.AddRange(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)));
        using var content = new FormUrlEncodedContent(values);
        return await Page.ReadAsync(await Client.PostAsync(new Uri(new Uri(sandbox.Origin), path), content));
    }

    public Task<Page> SignInAsync(Page signInPage, string email) => PostAsync("/sandbox/entra/login", signInPage, ("Email", email));

    public Task<Page> AcceptAsync(Page consentPage, bool forOrganization = false) =>
        forOrganization
            ? PostAsync("/sandbox/entra/consent", consentPage, ("action", "accept"), ("consent_org", "on"))
            : PostAsync("/sandbox/entra/consent", consentPage, ("action", "accept"));

    public Task<Page> CancelAsync(Page consentPage) => PostAsync("/sandbox/entra/consent", consentPage, ("action", "cancel"));

    public void Dispose() => _client?.Dispose();

    [GeneratedRegex("<form method=\"post\" name=\"hiddenform\" action=\"([^\"]*)\"")]
    private static partial Regex FormAction();

    private HttpClient CreateClient()
    {
        var handler = TestCertificates.Authority.CreateTrustingHandler();
        handler.UseCookies = true;
        handler.CookieContainer = _cookies;
        return new HttpClient(handler);
    }

    /// <summary>One response: an HTML page, or a redirect to the app.</summary>
    public sealed partial record Page(HttpStatusCode Status, string Html, Uri? Location, Uri? RequestUri = null)
    {
        public string Context => ContextField().Match(Html) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value) : throw new InvalidOperationException($"No ctx on page: {Html}");

        public bool IsSignIn => Html.Contains("<label for=\"email\">Email</label>", StringComparison.Ordinal) && Html.Contains(">Sign in</button>", StringComparison.Ordinal);

        public bool IsConsent => Html.Contains(">Accept</button>", StringComparison.Ordinal) && Html.Contains(">Cancel</button>", StringComparison.Ordinal);

        /// <summary>The parameters sent back to the app, by query redirect or by auto-posted form.</summary>
        public Dictionary<string, string> Result
        {
            get
            {
                if (Location is not null)
                {
                    return QueryHelpers.ParseQuery(Location.Query).ToDictionary(p => p.Key, p => p.Value.ToString());
                }

                if (Html.Contains("name=\"hiddenform\"", StringComparison.Ordinal))
                {
                    return HiddenField().Matches(Html).ToDictionary(m => WebUtility.HtmlDecode(m.Groups[1].Value), m => WebUtility.HtmlDecode(m.Groups[2].Value));
                }

                throw new InvalidOperationException($"Not a result: {Status} {Html}");
            }
        }

        public static async Task<Page> ReadAsync(HttpResponseMessage response)
        {
            using (response)
            {
                return new Page(response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Location, response.RequestMessage?.RequestUri);
            }
        }

        [GeneratedRegex("name=\"ctx\" value=\"([^\"]*)\"")]
        private static partial Regex ContextField();

        [GeneratedRegex("<input type=\"hidden\" name=\"([^\"]*)\" value=\"([^\"]*)\">")]
        private static partial Regex HiddenField();
    }
}
