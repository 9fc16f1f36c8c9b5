using System.Text.Json.Nodes;
using IncidentIo.Domain.TeamsApp;

namespace IncidentIo.Domain.Tests.TeamsApp;

/// <summary>Each configuration value lands where Teams reads it, and nothing of the template is left.</summary>
public sealed class TeamsAppManifestValuesTests
{
    private readonly JsonObject manifest = TeamsAppTestOptions.Package(TeamsAppTestOptions.Production()).RenderManifest();

    [Fact]
    public void Ids_come_from_configuration()
    {
        Assert.Equal("11111111-2222-4333-8444-555555555555", (string?)manifest["id"]);
        Assert.Equal("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", (string?)manifest["bots"]![0]!["botId"]);
        Assert.Equal("99999999-8888-4777-8666-555555555555", (string?)manifest["webApplicationInfo"]!["id"]);
    }

    [Fact]
    public void Ids_are_written_in_lower_case_whatever_the_configuration_says()
    {
        var options = TeamsAppTestOptions.Production();
        options.AppId = options.AppId.ToUpperInvariant();
        options.BotId = options.BotId.ToUpperInvariant();

        var rendered = TeamsAppTestOptions.Package(options).RenderManifest();

        Assert.Equal("11111111-2222-4333-8444-555555555555", (string?)rendered["id"]);
        Assert.Equal("aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", (string?)rendered["bots"]![0]!["botId"]);
    }

    [Fact]
    public void The_portal_host_is_the_only_valid_domain_and_the_host_of_every_url()
    {
        Assert.Equal(["incidents.contoso.example"], manifest["validDomains"]!.AsArray().Select(domain => (string?)domain));
        var urls = new[]
        {
            manifest["developer"]!["websiteUrl"], manifest["developer"]!["privacyUrl"], manifest["developer"]!["termsOfUseUrl"],
            manifest["configurableTabs"]![0]!["configurationUrl"],
            manifest["staticTabs"]![0]!["contentUrl"], manifest["staticTabs"]![0]!["websiteUrl"],
        };
        Assert.All(urls, url =>
        {
            var uri = new Uri((string)url!);
            Assert.Equal("https", uri.Scheme);
            Assert.Equal("incidents.contoso.example", uri.Authority);
        });
        Assert.Equal("https://incidents.contoso.example/teams/configure", (string?)manifest["configurableTabs"]![0]!["configurationUrl"]);
        Assert.Equal("https://incidents.contoso.example/teams/tab", (string?)manifest["staticTabs"]![0]!["contentUrl"]);
    }

    [Fact]
    public void A_port_in_the_portal_host_is_kept_in_urls_and_valid_domains()
    {
        var rendered = TeamsAppTestOptions.Package(new TeamsAppOptions()).RenderManifest();

        Assert.Equal("localhost:7080", (string?)rendered["validDomains"]![0]);
        Assert.Equal("https://localhost:7080/teams/tab", (string?)rendered["staticTabs"]![0]!["contentUrl"]);
    }

    [Fact]
    public void The_sso_resource_is_the_application_id_uri_of_the_tab_app()
    {
        Assert.Equal(
            "api://incidents.contoso.example/99999999-8888-4777-8666-555555555555",
            (string?)manifest["webApplicationInfo"]!["resource"]);
    }

    [Fact]
    public void Version_and_names_come_from_configuration()
    {
        Assert.Equal("2.7.13", (string?)manifest["version"]);
        Assert.Equal("Contoso Incidents", (string?)manifest["name"]!["short"]);
        Assert.Equal("Contoso incident response for Microsoft Teams", (string?)manifest["name"]!["full"]);
    }

    [Fact]
    public void The_bot_and_the_tabs_have_the_scopes_the_product_needs()
    {
        Assert.Equal(["team", "personal", "groupChat"], Strings(manifest["bots"]![0]!["scopes"]));
        Assert.Equal(["help", "declare"], manifest["bots"]![0]!["commandLists"]![0]!["commands"]!.AsArray().Select(command => (string?)command!["title"]));
        Assert.Equal(["team", "groupChat"], Strings(manifest["configurableTabs"]![0]!["scopes"]));
        Assert.Equal(["channelTab", "privateChatTab"], Strings(manifest["configurableTabs"]![0]!["context"]));
        Assert.Equal(["personal"], Strings(manifest["staticTabs"]![0]!["scopes"]));
    }

    [Fact]
    public void No_resource_specific_permissions_are_asked_for_so_the_least_privileged_install_permission_works()
    {
        // team-post-installedapps: TeamsAppInstallation.ReadWriteForTeam.All cannot install an app that asks for RSC.
        Assert.Null(manifest["authorization"]);
    }

    [Fact]
    public void Nothing_of_the_template_is_left_after_rendering()
    {
        Assert.All(StringValues(manifest), text =>
        {
            Assert.DoesNotContain("{{", text, StringComparison.Ordinal);
            Assert.DoesNotContain("}}", text, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void Every_placeholder_in_the_template_has_a_value()
    {
        var template = TeamsAppResources.ReadManifestTemplate();
        var placeholders = System.Text.RegularExpressions.Regex.Matches(template, @"\{\{(\w+)\}\}").Select(match => match.Groups[1].Value).Distinct();
        var values = TeamsAppTestOptions.Package(new TeamsAppOptions()).PlaceholderValues();

        Assert.All(placeholders, placeholder => Assert.True(values.ContainsKey(placeholder), $"{{{{{placeholder}}}}} has no value"));
    }

    [Fact]
    public void Names_and_descriptions_are_distinct_and_within_the_limits()
    {
        var shortDescription = (string)manifest["description"]!["short"]!;
        var fullDescription = (string)manifest["description"]!["full"]!;

        Assert.NotEqual((string?)manifest["name"]!["short"], (string?)manifest["name"]!["full"]);
        Assert.NotEqual(shortDescription, fullDescription);
        Assert.InRange(shortDescription.Length, 1, 80);
        Assert.InRange(fullDescription.Length, 1, 4000);
    }

    private static IEnumerable<string> StringValues(JsonNode? node) => node switch
    {
        JsonObject obj => obj.SelectMany(property => StringValues(property.Value)),
        JsonArray array => array.SelectMany(StringValues),
        JsonValue value when value.TryGetValue<string>(out var text) => [text],
        _ => [],
    };

    private static IEnumerable<string?> Strings(JsonNode? array) => array!.AsArray().Select(item => (string?)item);
}
