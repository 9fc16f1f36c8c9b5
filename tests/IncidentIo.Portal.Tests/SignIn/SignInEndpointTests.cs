using System.Net;
using IncidentIo.Portal.SignIn;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Testing;

namespace IncidentIo.Portal.Tests.SignIn;

/// <summary>Where sign-in may send a browser back to, and who may sign a browser out.</summary>
public sealed class SignInEndpointTests : IAsyncLifetime
{
    private readonly PortalFactory portal = PortalFactory.OnSqlite();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await portal.DisposeAsync();

    [Theory]
    [InlineData("/%09/evil.example")] // a tab, which browsers strip: "//evil.example"
    [InlineData("/\t/evil.example")]
    [InlineData("/\n/evil.example")]
    [InlineData("/\r\n/evil.example")]
    [InlineData("//evil.example")] // scheme-relative
    [InlineData("///evil.example")]
    [InlineData("/\\evil.example")] // browsers read the backslash as a slash
    [InlineData("\\\\evil.example")]
    [InlineData("/%2F/evil.example")] // encoded slashes
    [InlineData("/%2f%2fevil.example")]
    [InlineData("/%5Cevil.example")]
    [InlineData("https://evil.example/")]
    [InlineData("http:evil.example")]
    [InlineData("javascript:alert(1)")]
    [InlineData("~//evil.example")]
    [InlineData("evil.example")]
    [InlineData(" /setup")]
    public void A_return_address_off_this_site_becomes_the_home_page(string returnUrl)
    {
        // What the query string binds to: decoded once, as the endpoint receives it.
        var received = Uri.UnescapeDataString(returnUrl.Replace("%2F", "%252F", StringComparison.Ordinal).Replace("%2f", "%252f", StringComparison.Ordinal).Replace("%5C", "%255C", StringComparison.Ordinal));

        Assert.Equal("/", SignInRegistration.LocalReturnUrl(new DefaultHttpContext(), received));
        Assert.Equal("/", SignInRegistration.LocalReturnUrl(new DefaultHttpContext(), returnUrl));
    }

    [Theory]
    [InlineData("/setup")]
    [InlineData("/support/people?state=Failed")]
    [InlineData("/incidents/3f2504e0-4f89-11d3-9a0c-0305e82c3301")]
    public void A_page_of_this_site_is_kept(string returnUrl) =>
        Assert.Equal(returnUrl, SignInRegistration.LocalReturnUrl(new DefaultHttpContext(), returnUrl));

    [Fact]
    public async Task Sign_out_by_a_link_or_a_post_without_the_page_s_token_does_nothing()
    {
        using var client = portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        using var byLink = await client.GetAsync(new Uri("/signout", UriKind.Relative));
        using var forged = await client.PostAsync(new Uri("/signout", UriKind.Relative), new FormUrlEncodedContent([]));

        Assert.Equal(HttpStatusCode.NotFound, byLink.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.False(forged.Headers.Contains("Set-Cookie") && forged.Headers.GetValues("Set-Cookie").Any(c => c.Contains("expires=Thu, 01 Jan 1970", StringComparison.OrdinalIgnoreCase)),
            "A refused sign-out must not clear the sign-in cookie.");
    }
}
