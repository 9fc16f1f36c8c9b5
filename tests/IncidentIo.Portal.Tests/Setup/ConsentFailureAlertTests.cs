using Bunit;
using IncidentIo.Domain.Setup;
using IncidentIo.Portal.Setup;

namespace IncidentIo.Portal.Tests.Setup;

public sealed class ConsentFailureAlertTests : ValidatedBunitContext, IClassFixture<SetupServices>
{
    private const string Correlation = "5d2c9e1b-7a3f-4e6d-8c2b-1a0f9e8d7c6b";
    private const string Trace = "0b5e3e7a-1f2d-4c3b-9a8e-2d1c0f9e8b7a";
    private const string SetupAddress = "https://portal.example/setup";

    public ConsentFailureAlertTests(SetupServices services) => services.AddTo(this);

    [Theory]
    [InlineData(ConsentOutcome.Pending)]
    [InlineData(ConsentOutcome.Granted)]
    public void A_request_that_did_not_fail_shows_nothing(ConsentOutcome outcome)
    {
        var request = Failed(65004);
        request.Outcome = outcome;

        var alert = Render<ConsentFailureAlert>(p => p.Add(a => a.Request, request).Add(a => a.ForwardLink, SetupAddress));

        Assert.Empty(alert.Markup.Trim());
    }

    [Fact]
    public void No_request_shows_nothing() =>
        Assert.Empty(Render<ConsentFailureAlert>(p => p.Add(a => a.Request, null)).Markup.Trim());

    [Fact]
    public void A_failure_shows_the_explanation_the_code_the_ids_and_where_to_get_help()
    {
        var alert = Render<ConsentFailureAlert>(p => p.Add(a => a.Request, Failed(53003)));

        var entry = AadstsCatalogue.Find(53003)!;
        var failure = alert.Find("[data-testid=consent-failure]");
        Assert.Contains(entry.Title, failure.TextContent, StringComparison.Ordinal);
        Assert.Equal(entry.Meaning, alert.Find("[data-testid=consent-meaning]").TextContent.Trim());
        Assert.Equal(entry.NextStep, alert.Find("[data-testid=consent-next-step]").TextContent.Trim());
        var ids = alert.Find("[data-testid=consent-ids]").TextContent;
        Assert.Contains("AADSTS53003", ids, StringComparison.Ordinal);
        Assert.Matches($"correlation id {Correlation}", ids);
        Assert.Matches($"trace id {Trace}", ids);
        Assert.Equal(
            $"/setup/troubleshooting?code=53003&correlation={Correlation}&trace={Trace}&timestamp=2025-03-14%2009%3A26%3A53Z",
            alert.Find("[data-testid=troubleshooting-link]").GetAttribute("href"));
        Assert.StartsWith("mailto:support@incidentio.example?subject=IncidentIo%20setup%3A%20AADSTS53003&body=",
            alert.Find("[data-testid=contact-support]").GetAttribute("href"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(90094, true)]
    [InlineData(90095, true)]
    [InlineData(65004, false)]
    [InlineData(50020, false)]
    [InlineData(null, false)]
    public void The_link_to_forward_is_offered_only_when_a_Microsoft_admin_must_grant(int? code, bool offered)
    {
        var alert = Render<ConsentFailureAlert>(p => p.Add(a => a.Request, Failed(code)).Add(a => a.ForwardLink, SetupAddress));

        string[] expected = offered ? [SetupAddress] : [];
        Assert.Equal(expected, alert.FindAll("[data-testid=forward-link]").Select(l => l.TextContent));
        Assert.Equal(offered, alert.Find("[data-testid=consent-failure]").TextContent.Contains("Link to forward to your admin", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_a_link_to_forward_none_is_offered() =>
        Assert.Empty(Render<ConsentFailureAlert>(p => p.Add(a => a.Request, Failed(90094))).FindAll("[data-testid=forward-link]"));

    [Fact]
    public void The_copy_button_puts_the_code_and_ids_on_the_clipboard()
    {
        var alert = Render<ConsentFailureAlert>(p => p.Add(a => a.Request, Failed(65004)));

        alert.Find("[data-testid=consent-ids] button").Click();

        var copied = Assert.Single(JSInterop.Invocations, i => i.Identifier == "navigator.clipboard.writeText");
        Assert.Equal(
            $"Error code: AADSTS65004\r\nCorrelation ID: {Correlation}\r\nTrace ID: {Trace}\r\nTimestamp: 2025-03-14 09:26:53Z",
            copied.Arguments[0]);
    }

    [Fact]
    public void A_failure_without_a_code_says_what_Microsoft_said_and_the_generic_next_step()
    {
        var request = Failed(null);
        request.Error = "permissions_missing";
        request.ErrorDescription = "Not granted: TeamMember.Read.All";
        request.CorrelationId = null;
        request.TraceId = null;

        var alert = Render<ConsentFailureAlert>(p => p.Add(a => a.Request, request));

        Assert.Contains("Microsoft returned an error.", alert.Find("[data-testid=consent-failure]").TextContent, StringComparison.Ordinal);
        Assert.Contains("Not granted: TeamMember.Read.All", alert.Find("[data-testid=consent-description]").TextContent, StringComparison.Ordinal);
        Assert.Contains("Microsoft said: permissions_missing", alert.Find("[data-testid=consent-ids]").TextContent, StringComparison.Ordinal);
        Assert.Equal("/setup/troubleshooting?timestamp=2025-03-14%2009%3A26%3A53Z", alert.Find("[data-testid=troubleshooting-link]").GetAttribute("href"));
    }

    private static ConsentRequest Failed(int? code) => new()
    {
        StateHash = "hash",
        Outcome = ConsentOutcome.Failed,
        AnsweredAt = new DateTimeOffset(2025, 3, 14, 10, 26, 53, TimeSpan.FromHours(1)),
        Error = "access_denied",
        ErrorCode = code,
        ErrorDescription = code is null ? "" : $"AADSTS{code}: whatever Microsoft says.",
        CorrelationId = Correlation,
        TraceId = Trace,
    };
}
