using System.Security.Claims;
using Bunit;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.Setup;
using IncidentIo.Portal.Setup;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace IncidentIo.Portal.Tests.Setup;

public sealed class TroubleshootingPageTests : ValidatedBunitContext, IClassFixture<SetupServices>
{
    private const string Correlation = "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d";
    private const string Trace = "3f0c6a9e-2b1d-4e7a-9c8b-5d4e3f2a1b0c";
    private readonly SetupServices services;

    public TroubleshootingPageTests(SetupServices services)
    {
        this.services = services;
        services.AddTo(this);
    }

    [Theory]
    [InlineData("50105")]
    [InlineData("AADSTS50105")]
    public void The_code_given_comes_first_with_its_ids_and_is_highlighted_in_the_catalogue(string code)
    {
        var page = Open($"?code={code}&correlation={Correlation}&trace={Trace}&timestamp=2025-03-14%2009%3A26%3A53Z");

        var entry = AadstsCatalogue.Find(50105)!;
        var highlight = page.Find("[data-testid=troubleshooting-code]");
        Assert.Contains($"AADSTS50105: {entry.Title}", highlight.TextContent, StringComparison.Ordinal);
        Assert.Contains(entry.Meaning, highlight.TextContent, StringComparison.Ordinal);
        Assert.Contains(entry.NextStep, highlight.TextContent, StringComparison.Ordinal);
        Assert.Contains("Your Microsoft admin", highlight.TextContent, StringComparison.Ordinal);
        var ids = page.Find("[data-testid=troubleshooting-ids]").TextContent;
        Assert.Contains(Correlation, ids, StringComparison.Ordinal);
        Assert.Contains(Trace, ids, StringComparison.Ordinal);
        Assert.Contains("2025-03-14 09:26:53Z", ids, StringComparison.Ordinal);
        Assert.Equal(["50105"], page.FindAll("[data-testid=troubleshooting-catalogue] tr[data-highlighted=true]").Select(r => r.GetAttribute("data-code")));
        Assert.Contains(Correlation, page.Find("[data-testid=troubleshooting-guide]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_code_the_page_still_guides_and_lists_every_code()
    {
        var page = Open("");

        Assert.Empty(page.FindAll("[data-testid=troubleshooting-code]"));
        Assert.Contains("Diagnose and solve problems", page.Find("[data-testid=troubleshooting-guide]").TextContent, StringComparison.Ordinal);
        Assert.Equal(AadstsCatalogue.All.Count, page.FindAll("[data-testid=troubleshooting-catalogue] tbody tr").Count);
    }

    [Fact]
    public void The_copy_button_puts_the_code_and_ids_on_the_clipboard()
    {
        var page = Open($"?code=65004&correlation={Correlation}&trace={Trace}");

        page.Find("[data-testid=copy-ids]").Click();

        var copied = Assert.Single(JSInterop.Invocations, i => i.Identifier == "navigator.clipboard.writeText");
        Assert.Equal($"Error code: AADSTS65004\r\nCorrelation ID: {Correlation}\r\nTrace ID: {Trace}", copied.Arguments[0]);
    }

    [Fact]
    public void The_filter_narrows_the_catalogue()
    {
        var page = Open("");

        Filter(page, "conditional access");
        page.WaitForAssertion(() => Assert.Equal(
            AadstsCatalogue.Search("conditional access").Select(e => e.Code.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            page.FindAll("[data-testid=troubleshooting-catalogue] tbody tr").Select(r => r.GetAttribute("data-code"))));
        Assert.Contains("53003", page.FindAll("[data-testid=troubleshooting-catalogue] tbody tr").Select(r => r.GetAttribute("data-code")));

        Filter(page, "AADSTS9009");
        page.WaitForAssertion(() => Assert.Equal(
            ["90094", "90095"], page.FindAll("[data-testid=troubleshooting-catalogue] tbody tr").Select(r => r.GetAttribute("data-code"))));

        Filter(page, "no such thing");
        page.WaitForAssertion(() => Assert.NotNull(page.Find("[data-testid=catalogue-empty]")));
    }

    [Fact]
    public void Contact_support_prefills_an_email_with_the_ids_encoded()
    {
        var page = Open($"?code=53003&correlation={Correlation}&trace={Trace}&timestamp=2025-03-14%2009%3A26%3A53Z");

        var href = page.Find("[data-testid=contact-support]").GetAttribute("href")!;

        const string prefix = "mailto:support@incidentio.example?subject=IncidentIo%20setup%3A%20AADSTS53003&body=";
        Assert.StartsWith(prefix, href, StringComparison.Ordinal);
        var body = href[prefix.Length..];
        Assert.DoesNotContain(' ', body);
        Assert.DoesNotContain('\n', body);
        Assert.DoesNotContain('&', body);
        Assert.Contains("Timestamp%3A%202025-03-14%2009%3A26%3A53Z", body, StringComparison.Ordinal);
        var text = Uri.UnescapeDataString(body);
        Assert.Contains(
            $"Error code: AADSTS53003\r\nCorrelation ID: {Correlation}\r\nTrace ID: {Trace}\r\nTimestamp: 2025-03-14 09:26:53Z\r\n" +
            $"Page: http://localhost/setup/troubleshooting?code=53003&correlation={Correlation}",
            text,
            StringComparison.Ordinal);
        Assert.DoesNotContain("Organisation", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Copy_details_puts_what_the_email_carries_on_the_clipboard()
    {
        var page = Open($"?code=53003&correlation={Correlation}");

        page.Find("[data-testid=copy-details]").Click();

        var copied = Assert.Single(JSInterop.Invocations, i => i.Identifier == "navigator.clipboard.writeText");
        Assert.Equal($"Error code: AADSTS53003\r\nCorrelation ID: {Correlation}\r\nPage: http://localhost/setup/troubleshooting?code=53003&correlation={Correlation}", copied.Arguments[0]);
    }

    [Fact]
    public async Task Signed_in_the_email_names_the_organisation()
    {
        var tenant = Guid.NewGuid();
        await using (var db = await services.Host.Services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>().CreateDbContextAsync())
        {
            db.Organizations.Add(new Organization { Name = "Contoso", MicrosoftTenantId = tenant, CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow });
            await db.SaveChangesAsync();
        }

        AddAuthorization().SetAuthorized("Ada Admin").SetClaims(new Claim("tid", tenant.ToString()));

        var page = Open("?code=90094");

        page.WaitForAssertion(() => Assert.Contains(
            $"Organisation: Contoso (Microsoft tenant {tenant})",
            Uri.UnescapeDataString(page.Find("[data-testid=contact-support]").GetAttribute("href")!),
            StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_code_gets_the_generic_text_and_Microsofts_lookup()
    {
        var page = Open("?code=12345");

        var highlight = page.Find("[data-testid=troubleshooting-code]").TextContent;
        Assert.Contains("AADSTS12345: Microsoft returned an error.", highlight, StringComparison.Ordinal);
        Assert.Contains(AadstsCatalogue.Generic.NextStep, highlight, StringComparison.Ordinal);
        Assert.Equal("https://login.microsoftonline.com/error?code=12345", page.Find("[data-testid=troubleshooting-unknown] a").GetAttribute("href"));
        Assert.Empty(page.FindAll("tr[data-highlighted=true]"));
    }

    [Fact]
    public void A_code_that_is_not_a_number_is_ignored()
    {
        var page = Open("?code=%3Cscript%3E");

        Assert.Empty(page.FindAll("[data-testid=troubleshooting-code]"));
    }

    [Fact]
    public void The_link_to_the_page_leaves_out_what_is_unknown() =>
        Assert.Equal("/setup/troubleshooting?code=90094&trace=t%201", TroubleshootingPage.LinkFor(90094, null, "t 1", " "));

    private IRenderedComponent<TroubleshootingPage> Open(string query)
    {
        Services.GetRequiredService<NavigationManager>().NavigateTo(TroubleshootingPage.Path + query);
        return Render<TroubleshootingPage>();
    }

    private static void Filter(IRenderedComponent<TroubleshootingPage> page, string text) =>
        page.Find("[data-testid=catalogue-filter]").Input(text);
}
