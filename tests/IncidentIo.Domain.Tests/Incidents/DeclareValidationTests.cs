using IncidentIo.Domain.Incidents;

namespace IncidentIo.Domain.Tests.Incidents;

/// <summary>The declare form's checks that need no database.</summary>
public sealed class DeclareValidationTests
{
    private static readonly string[] Types = IncidentOptions.DefaultTypes;

    private static DeclareIncident Form(Action<DeclareIncident>? change = null)
    {
        var form = new DeclareIncident { Name = "Checkout down", Severity = IncidentSeverity.Sev2, LeadUserId = Guid.NewGuid() };
        change?.Invoke(form);
        return form;
    }

    [Fact]
    public void A_complete_form_has_no_errors() => Assert.Empty(IncidentService.Validate(Form(), Types));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void The_name_is_required(string? name) =>
        Assert.Equal("Give the incident a name.", IncidentService.Validate(Form(f => f.Name = name), Types)[nameof(DeclareIncident.Name)]);

    [Fact]
    public void Names_and_summaries_over_their_limits_are_refused_and_at_the_limit_accepted()
    {
        Assert.Empty(IncidentService.Validate(Form(f => { f.Name = new string('n', 200); f.Summary = new string('s', 4000); }), Types));
        var errors = IncidentService.Validate(Form(f => { f.Name = new string('n', 201); f.Summary = new string('s', 4001); }), Types);
        Assert.Contains("at most 200", errors[nameof(DeclareIncident.Name)], StringComparison.Ordinal);
        Assert.Contains("at most 4000", errors[nameof(DeclareIncident.Summary)], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(-1)]
    public void Severities_outside_sev1_to_sev4_are_refused(int severity) =>
        Assert.True(IncidentService.Validate(Form(f => f.Severity = (IncidentSeverity)severity), Types).ContainsKey(nameof(DeclareIncident.Severity)));

    [Fact]
    public void Types_must_be_configured_ones_in_any_case_and_empty_takes_the_default()
    {
        Assert.Empty(IncidentService.Validate(Form(f => f.Type = "customer DATA"), Types));
        Assert.Empty(IncidentService.Validate(Form(f => f.Type = null), Types));
        Assert.Contains("Default, Security, Customer data", IncidentService.Validate(Form(f => f.Type = "Outage"), Types)[nameof(DeclareIncident.Type)], StringComparison.Ordinal);
    }
}
