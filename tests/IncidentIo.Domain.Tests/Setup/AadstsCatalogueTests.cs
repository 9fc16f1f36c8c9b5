using IncidentIo.Domain.Setup;

namespace IncidentIo.Domain.Tests.Setup;

public sealed class AadstsCatalogueTests
{
    // Shaped as Entra sends it: the code's message, then the ids on their own lines.
    private const string ConditionalAccessBlock =
        "AADSTS53003: Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.\r\n" +
        "Trace ID: 3f0c6a9e-2b1d-4e7a-9c8b-5d4e3f2a1b0c\r\n" +
        "Correlation ID: 9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d\r\n" +
        "Timestamp: 2025-03-14 09:26:53Z";

    [Fact]
    public void Every_code_is_listed_once()
    {
        var duplicates = AadstsCatalogue.All.GroupBy(e => e.Code).Where(g => g.Count() > 1).Select(g => g.Key).ToList();

        Assert.Empty(duplicates);
        Assert.Equal(AadstsCatalogue.All.Select(e => e.Code).Order(), AadstsCatalogue.All.Select(e => e.Code));
    }

    [Fact]
    public void Every_entry_says_what_happened_what_it_means_and_what_to_do()
    {
        Assert.All(AadstsCatalogue.All, entry =>
        {
            Assert.True(entry.Code > 0);
            Assert.False(string.IsNullOrWhiteSpace(entry.Title), $"{entry.Label}: title");
            Assert.False(string.IsNullOrWhiteSpace(entry.Meaning), $"{entry.Label}: meaning");
            Assert.False(string.IsNullOrWhiteSpace(entry.NextStep), $"{entry.Label}: next step");
            Assert.True(Enum.IsDefined(entry.WhoActs), $"{entry.Label}: who acts");
        });
    }

    [Theory]
    [InlineData(65004, WhoActs.You)]
    [InlineData(90094, WhoActs.MicrosoftAdmin)]
    [InlineData(90095, WhoActs.MicrosoftAdmin)]
    [InlineData(50105, WhoActs.MicrosoftAdmin)]
    [InlineData(53003, WhoActs.MicrosoftAdmin)]
    [InlineData(50011, WhoActs.Support)]
    [InlineData(7000218, WhoActs.Support)]
    public void A_code_is_found_with_who_must_act(int code, WhoActs who)
    {
        var entry = AadstsCatalogue.Find(code);

        Assert.NotNull(entry);
        Assert.Equal(code, entry.Code);
        Assert.Equal($"AADSTS{code}", entry.Label);
        Assert.Equal(who, entry.WhoActs);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(12345)]
    [InlineData(530003)]
    public void An_unknown_or_missing_code_is_not_found(int? code) => Assert.Null(AadstsCatalogue.Find(code));

    [Fact]
    public void An_unknown_code_gets_the_generic_explanation()
    {
        var explanation = AadstsCatalogue.Explain(12345, "server_error");

        Assert.Same(AadstsCatalogue.Generic, explanation);
        Assert.Equal("Microsoft returned an error.", explanation.What);
        Assert.Null(explanation.Entry);
    }

    [Fact]
    public void An_unknown_code_with_access_denied_keeps_its_own_text()
    {
        var explanation = EntraError.Parse("access_denied", "AADSTS12345: something new.\r\nTrace ID: t\r\nCorrelation ID: c").Explain();

        Assert.Equal("Microsoft refused the request.", explanation.What);
        Assert.Equal("Try again; if it persists, contact support with the ids below.", explanation.NextStep);
    }

    [Fact]
    public void Parse_then_explain_a_real_shaped_description_gives_the_catalogue_entry()
    {
        var error = EntraError.Parse("access_denied", ConditionalAccessBlock);

        var explanation = error.Explain();

        var entry = AadstsCatalogue.Find(53003)!;
        Assert.Equal(53003, error.Code);
        Assert.Equal("3f0c6a9e-2b1d-4e7a-9c8b-5d4e3f2a1b0c", error.TraceId);
        Assert.Equal("9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d", error.CorrelationId);
        Assert.Equal("2025-03-14 09:26:53Z", error.Timestamp);
        Assert.Same(entry, explanation.Entry);
        Assert.Equal(entry.Title, explanation.What);
        Assert.Equal(entry.NextStep, explanation.NextStep);
        Assert.Equal(entry.Meaning, explanation.Meaning);
        Assert.Equal(WhoActs.MicrosoftAdmin, explanation.WhoActs);
    }

    [Theory]
    [InlineData("50105", new[] { 50105 })]
    [InlineData("AADSTS65004", new[] { 65004 })]
    [InlineData("aadsts9009", new[] { 90094, 90095 })]
    [InlineData("conditional ACCESS blocked", new[] { 53003 })]
    public void Search_matches_codes_and_words(string text, int[] codes) =>
        Assert.Equal(codes, AadstsCatalogue.Search(text).Select(e => e.Code));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("AADSTS")]
    public void An_empty_search_lists_everything(string? text) =>
        Assert.Equal(AadstsCatalogue.All, AadstsCatalogue.Search(text));

    [Fact]
    public void A_search_for_nothing_known_finds_nothing() => Assert.Empty(AadstsCatalogue.Search("kerberos"));

    [Fact]
    public void Microsofts_lookup_page_is_linked_by_code() =>
        Assert.Equal("https://login.microsoftonline.com/error?code=12345", AadstsCatalogue.MicrosoftLookup(12345).ToString());
}
