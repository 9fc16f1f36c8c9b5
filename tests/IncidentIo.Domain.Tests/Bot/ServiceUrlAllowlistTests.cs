using System.Net;
using System.Text.Json.Nodes;
using IncidentIo.Domain.Bot;
using IncidentIo.Domain.Bot.Connector;
using IncidentIo.Domain.Hosting;
using IncidentIo.Sandbox.State;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Tests.Bot;

/// <summary>Which Teams service URLs the bot may call, and that a stored address outside them is never called.</summary>
public sealed class ServiceUrlAllowlistTests
{
    [Theory]
    [InlineData("https://smba.trafficmanager.net/teams/", true)]
    [InlineData("https://smba.trafficmanager.net/amer/", true)]
    [InlineData("https://SMBA.trafficmanager.net:443/emea/", true)]
    [InlineData("https://smba.infra.gcc.teams.microsoft.com/teams", true)]
    [InlineData("https://smba.infra.gov.teams.microsoft.us/teams", true)]
    [InlineData("https://smba.infra.dod.teams.microsoft.us/teams", true)]
    [InlineData("http://smba.trafficmanager.net/amer/", false)]
    [InlineData("https://smba.trafficmanager.net:8443/amer/", false)]
    [InlineData("https://smba.trafficmanager.net.attacker.example/amer/", false)]
    [InlineData("https://smba.trafficmanager.net@attacker.example/amer/", false)]
    [InlineData("https://user@smba.trafficmanager.net/amer/", false)]
    [InlineData("https://attacker.example/", false)]
    [InlineData("/amer/", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void Live_mode_allows_microsofts_documented_teams_hosts_only(string? serviceUrl, bool allowed)
    {
        using var services = Services(("Microsoft:Mode", "Live"));

        Assert.Equal(allowed, services.GetRequiredService<ServiceUrlAllowlist>().Allows(serviceUrl));
    }

    [Fact]
    public void A_configured_list_replaces_the_documented_one()
    {
        using var services = Services(("Microsoft:Mode", "Live"), ("Bot:Connector:AllowedServiceUrlHosts:0", "smba.example.net"),
            ("Bot:Connector:AllowedServiceUrlHosts:1", "teams.example.org:8443"));
        var allowlist = services.GetRequiredService<ServiceUrlAllowlist>();

        Assert.True(allowlist.Allows("https://smba.example.net/teams/"));
        Assert.True(allowlist.Allows("https://teams.example.org:8443/teams/"));
        Assert.False(allowlist.Allows("https://teams.example.org/teams/"));
        Assert.False(allowlist.Allows("https://smba.trafficmanager.net/amer/"));
    }

    [Fact]
    public void Sandbox_mode_allows_the_sandbox_origin_only()
    {
        using var services = Services(("Microsoft:Mode", "Sandbox"), ("Microsoft:SandboxOrigin", "https://localhost:7443"),
            ("Bot:Connector:AllowedServiceUrlHosts:0", "smba.trafficmanager.net"));
        var allowlist = services.GetRequiredService<ServiceUrlAllowlist>();

        Assert.True(allowlist.Allows("https://localhost:7443/botframework/teams/"));
        Assert.False(allowlist.Allows("https://localhost:7444/botframework/teams/"));
        Assert.False(allowlist.Allows("https://smba.trafficmanager.net/amer/"));
    }

    [Theory]
    [InlineData("https://smba.trafficmanager.net")]
    [InlineData("smba.trafficmanager.net/amer/")]
    [InlineData("user@smba.trafficmanager.net")]
    [InlineData(" smba.trafficmanager.net")]
    [InlineData("")]
    [InlineData("*.trafficmanager.net")]
    public void Entries_that_are_not_host_names_are_refused_at_start(string entry)
    {
        using var services = Services(("Microsoft:Mode", "Live"), ("Bot:Connector:AllowedServiceUrlHosts:0", entry));

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<BotConnectorOptions>>().Value);

        Assert.Contains("Bot:Connector:AllowedServiceUrlHosts", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stored_service_url_outside_the_list_is_refused_before_anything_is_sent()
    {
        await using var harness = await BotConnectorHarness.StartAsync();
        var message = new JsonObject { ["type"] = "message", ["text"] = "Sev 1: checkout is down" };

        // Teams' real host: in Sandbox mode the routing handler would carry it to the Sandbox, so
        // without the check this message would be posted there.
        var teams = await Assert.ThrowsAsync<BotConnectorException>(() =>
            harness.Connector.SendAsync(new Uri("https://smba.trafficmanager.net/amer/"), harness.TeamWithApp.GeneralChannelId, message));
        var elsewhere = await Assert.ThrowsAsync<BotConnectorException>(() =>
            harness.Connector.CreatePersonalConversationAsync(new Uri("https://attacker.example/teams/"), BotConnectorHarness.Contoso, DemoSeed.UserId));
        var team = await Assert.ThrowsAsync<BotConnectorException>(() =>
            harness.Connector.GetTeamDetailsAsync(new Uri("https://attacker.example/teams/"), harness.TeamWithApp.GeneralChannelId));

        foreach (var refused in new[] { teams, elsewhere, team })
        {
            Assert.Equal((HttpStatusCode.MisdirectedRequest, BotConnectorException.ServiceUrlNotAllowedCode), (refused.Status, refused.Code));
            Assert.False(refused.IsTransient);
            Assert.StartsWith("Not sent: ", refused.Message, StringComparison.Ordinal);
        }

        Assert.Empty(harness.ConnectorAnswers);
        Assert.Empty(harness.Sandbox.Bot.Activities.All());

        // The allowed address still works, so the refusals above are the check's doing.
        await harness.Connector.SendAsync(harness.ServiceUrl, harness.TeamWithApp.GeneralChannelId, message);
        Assert.Single(harness.Sandbox.Bot.Activities.All());
    }

    private static ServiceProvider Services(params (string Key, string Value)[] settings)
    {
        var values = new Dictionary<string, string?> { ["Bot:ClientSecret"] = "secret" };
        foreach (var (key, value) in settings)
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddBotOptions(configuration);
        services.AddOptions<MicrosoftOptions>().Bind(configuration.GetSection(MicrosoftOptions.Section));
        return services.BuildValidated();
    }
}
