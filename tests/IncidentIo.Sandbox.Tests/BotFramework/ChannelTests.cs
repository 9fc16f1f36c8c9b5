using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using IncidentIo.Sandbox.BotFramework;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Tests.Infrastructure;

namespace IncidentIo.Sandbox.Tests.BotFramework;

/// <summary>The channel posts signed Teams activities; the test bot authenticates them with the standard libraries.</summary>
[Collection(SharedBotSandbox.Name)]
public sealed class ChannelTests(BotFixture fixture)
{
    private static readonly Guid Contoso = DemoSeed.ContosoTenantId;

    [Fact]
    public async Task Metadata_and_keys_mirror_login_botframework_com()
    {
        var metadata = await fixture.Sandbox.Http.GetFromJsonAsync<JsonObject>(BotFrameworkSandbox.OpenIdMetadataPath);
        Assert.Equal("https://api.botframework.com", metadata!["issuer"]!.GetValue<string>());
        Assert.Equal($"{fixture.Sandbox.Origin}/botframework/v1/.well-known/keys", metadata["jwks_uri"]!.GetValue<string>());

        var keys = await fixture.Sandbox.Http.GetFromJsonAsync<JsonObject>(metadata["jwks_uri"]!.GetValue<string>());
        var key = keys!["keys"]!.AsArray().First()!;
        Assert.Contains("msteams", key["endorsements"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.Equal("RSA", key["kty"]!.GetValue<string>());
    }

    [Fact]
    public async Task Installing_in_a_team_sends_installationUpdate_and_conversationUpdate()
    {
        var team = fixture.Team(withApp: true, DemoSeed.AdminId, DemoSeed.UserId);

        var deliveries = await fixture.Bot.Channel.TeamInstalledAsync(fixture.BotId, team.Id, DemoSeed.AdminId);

        Assert.All(deliveries, d => Assert.True(d.Delivered, d.Error));
        var install = Received(deliveries[0].ActivityId);
        Assert.Equal(("installationUpdate", "add", "msteams"), (Text(install, "type"), Text(install, "action"), Text(install, "channelId")));
        Assert.Equal(fixture.Bot.ServiceUrl, Text(install, "serviceUrl"));
        Assert.Equal(team.Id, install["conversation"]!["id"]!.GetValue<string>());
        Assert.Equal("channel", install["conversation"]!["conversationType"]!.GetValue<string>());
        Assert.Equal(team.Id, install["channelData"]!["team"]!["id"]!.GetValue<string>());
        Assert.Equal(Contoso.ToString(), install["channelData"]!["tenant"]!["id"]!.GetValue<string>());
        Assert.Equal(DemoSeed.AdminId.ToString(), install["from"]!["aadObjectId"]!.GetValue<string>());
        Assert.Equal($"28:{fixture.BotId}", install["recipient"]!["id"]!.GetValue<string>());

        var joined = Received(deliveries[1].ActivityId);
        Assert.Equal(("conversationUpdate", "teamMemberAdded"), (Text(joined, "type"), joined["channelData"]!["eventType"]!.GetValue<string>()));
        Assert.Equal($"28:{fixture.BotId}", joined["membersAdded"]![0]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Membership_changes_removal_and_renames_reach_the_bot()
    {
        var team = fixture.Team(withApp: true, DemoSeed.AdminId);

        var added = await fixture.Bot.Channel.MembersAddedAsync(fixture.BotId, team.Id, [DemoSeed.UserId]);
        var removed = await fixture.Bot.Channel.MembersRemovedAsync(fixture.BotId, team.Id, [DemoSeed.UserId]);
        fixture.Directory.RenameTeam(team.Id, "Incidents (renamed)");
        var renamed = await fixture.Bot.Channel.TeamRenamedAsync(fixture.BotId, team.Id, DemoSeed.AdminId);
        fixture.Directory.UninstallFromTeam(fixture.BotId, team.Id);
        var uninstalled = await fixture.Bot.Channel.TeamUninstalledAsync(fixture.BotId, team.Id, DemoSeed.AdminId);

        var member = Received(added.ActivityId)["membersAdded"]![0]!;
        Assert.Equal((ConnectorIds.UserId(Contoso, DemoSeed.UserId), DemoSeed.UserId.ToString()), (member["id"]!.GetValue<string>(), member["aadObjectId"]!.GetValue<string>()));
        Assert.Equal("teamMemberRemoved", Received(removed.ActivityId)["channelData"]!["eventType"]!.GetValue<string>());
        Assert.Equal(DemoSeed.UserId.ToString(), Received(removed.ActivityId)["membersRemoved"]![0]!["aadObjectId"]!.GetValue<string>());
        var renameData = Received(renamed.ActivityId)["channelData"]!;
        Assert.Equal(("teamRenamed", "Incidents (renamed)"), (renameData["eventType"]!.GetValue<string>(), renameData["team"]!["name"]!.GetValue<string>()));
        Assert.Equal("remove", Text(Received(uninstalled[0].ActivityId), "action"));
        Assert.Equal($"28:{fixture.BotId}", Received(uninstalled[1].ActivityId)["membersRemoved"]![0]!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_personal_install_names_the_conversation_the_connector_uses()
    {
        var user = Guid.NewGuid();
        fixture.Sandbox.State.AddUser(new User(user, Contoso, $"{user:N}@contoso.example", "Pia Personal"));
        fixture.Directory.InstallForUser(fixture.BotId, Contoso, user);

        var deliveries = await fixture.Bot.Channel.UserInstalledAsync(fixture.BotId, Contoso, user);

        var install = Received(deliveries[0].ActivityId);
        Assert.Equal("personal", install["conversation"]!["conversationType"]!.GetValue<string>());
        Assert.Null(install["channelData"]!["team"]);
        Assert.Equal("Pia Personal", install["from"]!["name"]!.GetValue<string>());
        var members = Received(deliveries[1].ActivityId)["membersAdded"]!.AsArray().Select(m => m!["id"]!.GetValue<string>());
        Assert.Equal([$"28:{fixture.BotId}", ConnectorIds.UserId(Contoso, user)], members);

        using var connector = await fixture.ConnectorAsync();
        using var created = await connector.PostAsJsonAsync("v3/conversations", new JsonObject
        {
            ["members"] = new JsonArray(new JsonObject { ["id"] = install["from"]!["id"]!.GetValue<string>() }),
            ["channelData"] = new JsonObject { ["tenant"] = new JsonObject { ["id"] = Contoso.ToString() } },
        });
        Assert.Equal(install["conversation"]!["id"]!.GetValue<string>(), (await created.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_token_with_a_flipped_signature_is_refused()
    {
        var token = fixture.Bot.Channel.CreateToken(fixture.BotId);
        var last = token[^2] == 'A' ? 'B' : 'A';

        var status = await PostDirectlyAsync(string.Concat(token.AsSpan(0, token.Length - 2), last.ToString(), token.AsSpan(token.Length - 1)));

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.StartsWith("token: SecurityTokenInvalidSignature", fixture.Endpoint.Rejections.Last(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_for_another_bot_is_refused()
    {
        var status = await PostDirectlyAsync(fixture.Bot.Channel.CreateToken(Guid.NewGuid().ToString()));

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("token: SecurityTokenInvalidAudienceException", fixture.Endpoint.Rejections.Last());
    }

    [Fact]
    public async Task A_token_for_another_service_url_is_refused()
    {
        var status = await PostDirectlyAsync(fixture.Bot.Channel.CreateToken(fixture.BotId, "https://smba.trafficmanager.net/amer/"));

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("serviceurl", fixture.Endpoint.Rejections.Last());
    }

    [Fact]
    public async Task An_expired_token_is_refused_and_not_retried()
    {
        var team = fixture.Team(withApp: true, DemoSeed.AdminId);
        fixture.Sandbox.Clock.Advance(TimeSpan.FromHours(-2));
        try
        {
            var delivery = await fixture.Bot.Channel.MembersAddedAsync(fixture.BotId, team.Id, [DemoSeed.UserId]);

            Assert.False(delivery.Delivered);
            Assert.Equal([403], delivery.Statuses);
            Assert.Equal("token: SecurityTokenExpiredException", fixture.Endpoint.Rejections.Last());
        }
        finally
        {
            fixture.Sandbox.Clock.Advance(TimeSpan.FromHours(2));
        }
    }

    [Fact]
    public async Task A_key_not_endorsed_for_msteams_is_refused()
    {
        var team = fixture.Team(withApp: true, DemoSeed.AdminId);
        var previous = fixture.Bot.ChannelKeys.Current;
        var webchatOnly = fixture.Bot.ChannelKeys.Rotate("webchat");
        fixture.Endpoint.RefreshMetadata();
        try
        {
            var refused = await fixture.Bot.Channel.MembersAddedAsync(fixture.BotId, team.Id, [DemoSeed.UserId]);

            Assert.Equal([403], refused.Statuses);
            Assert.Equal("endorsement", fixture.Endpoint.Rejections.Last());
        }
        finally
        {
            fixture.Bot.ChannelKeys.Rotate();
            fixture.Bot.ChannelKeys.Retire(webchatOnly.KeyId);
            fixture.Endpoint.RefreshMetadata();
        }

        Assert.NotEqual(previous.KeyId, fixture.Bot.ChannelKeys.Current.KeyId);
        Assert.True((await fixture.Bot.Channel.MembersAddedAsync(fixture.BotId, team.Id, [DemoSeed.UserId])).Delivered);
    }

    [Fact]
    public async Task Server_errors_are_retried_a_bounded_number_of_times()
    {
        var team = fixture.Team(withApp: true, DemoSeed.AdminId);

        fixture.Endpoint.FailNext(2, 503);
        var recovered = await fixture.Bot.Channel.MembersAddedAsync(fixture.BotId, team.Id, [DemoSeed.UserId]);
        fixture.Endpoint.FailNext(10, 500);
        var failed = await fixture.Bot.Channel.MembersAddedAsync(fixture.BotId, team.Id, [DemoSeed.UserId]);
        fixture.Endpoint.FailNext(0);

        Assert.True(recovered.Delivered);
        Assert.Equal([503, 503, 200], recovered.Statuses);
        Assert.False(failed.Delivered);
        Assert.Equal([500, 500, 500], failed.Statuses);
        Assert.Contains(fixture.Bot.Channel.Deliveries(), d => d.ActivityId == failed.ActivityId);
    }

    [Fact]
    public async Task The_control_API_makes_the_channel_send_an_event()
    {
        var team = fixture.Team(withApp: true, DemoSeed.AdminId);

        using var response = await fixture.Sandbox.Http.PostAsJsonAsync("/sandbox/api/bot/send", new
        {
            @event = "teamInstalled",
            botAppId = fixture.BotId,
            teamId = team.Id,
            userId = DemoSeed.AdminId,
        });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = (await response.Content.ReadFromJsonAsync<JsonArray>())!;
        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.True(r!["delivered"]!.GetValue<bool>()));
        Assert.Equal("installationUpdate", Text(Received(results[0]!["activityId"]!.GetValue<string>()), "type"));

        using var bad = await fixture.Sandbox.Http.PostAsJsonAsync("/sandbox/api/bot/send", new { @event = "teamInstalled", botAppId = fixture.BotId });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    private JsonObject Received(string activityId) => fixture.Endpoint.Received.Single(a => Text(a, "id") == activityId);

    private static string? Text(JsonObject activity, string name) => activity[name]?.GetValue<string>();

    /// <summary>Posts a valid Teams activity straight to the bot with the given bearer token.</summary>
    private async Task<HttpStatusCode> PostDirectlyAsync(string token)
    {
        using var client = new HttpClient(TestCertificates.Authority.CreateTrustingHandler());
        using var request = new HttpRequestMessage(HttpMethod.Post, fixture.Endpoint.Endpoint)
        {
            Content = new StringContent(
                new JsonObject { ["type"] = "message", ["id"] = "1", ["channelId"] = "msteams", ["serviceUrl"] = fixture.Bot.ServiceUrl, ["text"] = "hi" }.ToJsonString(),
                Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
