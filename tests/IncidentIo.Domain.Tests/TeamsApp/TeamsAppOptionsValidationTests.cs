using IncidentIo.Domain.TeamsApp;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using IncidentIo.Domain.Hosting;

namespace IncidentIo.Domain.Tests.TeamsApp;

public sealed class TeamsAppOptionsValidationTests
{
    private readonly TeamsAppOptionsValidator validator = new();

    [Fact]
    public void The_embedded_default_and_a_production_configuration_are_valid()
    {
        Assert.True(validator.Validate(null, new TeamsAppOptions()).Succeeded);
        Assert.True(validator.Validate(null, TeamsAppTestOptions.Production()).Succeeded);
    }

    [Theory]
    [InlineData(nameof(TeamsAppOptions.AppId), "not-a-guid")]
    [InlineData(nameof(TeamsAppOptions.AppId), "{11111111-2222-4333-8444-555555555555}")]
    [InlineData(nameof(TeamsAppOptions.BotId), "")]
    [InlineData(nameof(TeamsAppOptions.TabSsoAppId), "12345")]
    public void An_id_that_is_not_a_guid_names_its_key(string property, string value)
    {
        var options = With(property, value);

        Assert.Equal($"TeamsApp:{property} must be a GUID such as 00000000-0000-0000-0000-000000000000, not '{value}'.", Failure(options));
    }

    [Theory]
    [InlineData("https://incidents.contoso.example", "without a scheme")]
    [InlineData("incidents.contoso.example/portal", "no path")]
    [InlineData("incidents.contoso.example?x=1", "no path")]
    [InlineData("*.contoso.example", "wildcard")]
    [InlineData("incidents contoso", "nothing else")]
    [InlineData("incidents.contoso.example:99999", "optional port")]
    [InlineData("incidents.contoso.example:443", "leave out the port")]
    [InlineData("", "is required")]
    public void A_portal_host_that_is_not_just_a_host_names_its_key(string host, string reason)
    {
        var failure = Failure(With(nameof(TeamsAppOptions.PortalHost), host));

        Assert.StartsWith("TeamsApp:PortalHost ", failure, StringComparison.Ordinal);
        Assert.Contains(reason, failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("localhost:7080")]
    [InlineData("127.0.0.1:7080")]
    [InlineData("incidents.contoso.example")]
    [InlineData("teams.eu.incidentio.example:8443")]
    public void A_host_name_with_or_without_a_port_is_a_portal_host(string host)
    {
        Assert.True(validator.Validate(null, With(nameof(TeamsAppOptions.PortalHost), host)).Succeeded);
    }

    [Theory]
    [InlineData("1.0")]
    [InlineData("v1.0.0")]
    [InlineData("1.0.0-beta")]
    [InlineData("01.0.0")]
    [InlineData("")]
    public void A_version_that_is_not_major_minor_patch_names_its_key(string version)
    {
        Assert.Equal(
            $"TeamsApp:Version must be a version MAJOR.MINOR.PATCH such as 1.0.0, not '{version}'.",
            Failure(With(nameof(TeamsAppOptions.Version), version)));
    }

    [Fact]
    public void A_short_name_over_30_characters_names_its_key()
    {
        var name = new string('n', 31);

        Assert.Equal(
            $"TeamsApp:ShortName must be at most 30 characters, not 31 ('{name}').",
            Failure(With(nameof(TeamsAppOptions.ShortName), name)));
    }

    [Fact]
    public void A_full_name_over_100_characters_or_the_same_as_the_short_name_names_its_key()
    {
        Assert.StartsWith("TeamsApp:FullName must be at most 100 characters", Failure(With(nameof(TeamsAppOptions.FullName), new string('f', 101))), StringComparison.Ordinal);
        Assert.StartsWith("TeamsApp:FullName must differ from TeamsApp:ShortName", Failure(With(nameof(TeamsAppOptions.FullName), "contoso incidents")), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var options = new TeamsAppOptions { AppId = "x", PortalHost = "https://x", Version = "1" };

        var result = validator.Validate(null, options);

        Assert.Equal(3, result.Failures!.Count());
    }

    [Fact]
    public void Registration_binds_the_TeamsApp_section_and_refuses_a_bad_value()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TeamsApp:PortalHost"] = "incidents.contoso.example",
            ["TeamsApp:Version"] = "3.1.4",
        }).Build();
        using var services = new ServiceCollection().AddLogging().AddHttpClient().AddSingleton(TimeProvider.System).AddSingleton<IConfiguration>(configuration).AddTeamsAppPackage(configuration).BuildValidated();

        var package = services.GetRequiredService<TeamsAppPackage>();
        Assert.Equal("3.1.4", package.Version);
        Assert.Equal("incidents.contoso.example", (string?)package.RenderManifest()["validDomains"]![0]);

        var bad = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["TeamsApp:BotId"] = "bot" }).Build();
        using var badServices = new ServiceCollection().AddLogging().AddHttpClient().AddSingleton(TimeProvider.System).AddSingleton<IConfiguration>(bad).AddTeamsAppPackage(bad).BuildValidated();
        var error = Assert.Throws<OptionsValidationException>(() => badServices.GetRequiredService<IOptions<TeamsAppOptions>>().Value);
        Assert.Contains("TeamsApp:BotId", error.Message, StringComparison.Ordinal);
    }

    private string Failure(TeamsAppOptions options)
    {
        var result = validator.Validate(null, options);
        Assert.True(result.Failed);
        return Assert.Single(result.Failures!);
    }

    private static TeamsAppOptions With(string property, string value)
    {
        var options = TeamsAppTestOptions.Production();
        typeof(TeamsAppOptions).GetProperty(property)!.SetValue(options, value);
        return options;
    }
}
