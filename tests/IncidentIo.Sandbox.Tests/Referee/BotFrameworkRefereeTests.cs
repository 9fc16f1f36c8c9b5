using System.Text;
using System.Text.Json.Nodes;
using IncidentIo.Sandbox.BotFramework;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Tests.BotFramework;

namespace IncidentIo.Sandbox.Tests.Referee;

/// <summary>
/// Microsoft's botframework-connector (the Bot Framework SDK for JavaScript) judges the Sandbox's
/// Bot Framework: its <c>JwtTokenValidation</c> authenticates what the Sandbox's channel posted to
/// a bot, and its <c>ConnectorClient</c> drives the Sandbox's connector.
/// </summary>
[Collection(SharedBotSandbox.Name)]
public sealed class BotFrameworkRefereeTests(BotFixture fixture)
{
    private static readonly Guid Contoso = DemoSeed.ContosoTenantId;

    [Fact]
    public async Task The_sdk_authenticates_what_the_channel_posts_and_refuses_tampered_copies()
    {
        var user = NewUser("Rita Referee");
        fixture.Directory.InstallForUser(fixture.BotId, Contoso, user);
        var delivery = await fixture.Bot.Channel.UserMessageAsync(fixture.BotId, Contoso, user, "hello");
        Assert.True(delivery.Delivered, delivery.Error);
        var activity = fixture.Endpoint.Received.Single(a => a["id"]?.GetValue<string>() == delivery.ActivityId);
        var authorization = fixture.Endpoint.Authorizations[delivery.ActivityId];

        var otherServiceUrl = (JsonObject)activity.DeepClone();
        otherServiceUrl["serviceUrl"] = "https://smba.example/teams/";
        var otherChannel = (JsonObject)activity.DeepClone();
        otherChannel["channelId"] = "slack";
        var results = await NodeReferee.RunAsync("bot.mjs", new JsonObject
        {
            ["scenario"] = "channelAuth",
            ["openIdMetadataUrl"] = fixture.Bot.OpenIdMetadataUrl,
            ["appId"] = fixture.BotId,
            ["cases"] = new JsonArray(
                Case("genuine", authorization, activity),
                Case("payloadChanged", Tamper(authorization), activity),
                Case("otherAudience", "Bearer " + fixture.Bot.Channel.CreateToken(Guid.NewGuid().ToString()), activity),
                Case("serviceUrlNotInToken", authorization, otherServiceUrl),
                Case("keyNotEndorsedForChannel", authorization, otherChannel),
                Case("noToken", "", activity)),
        });

        var genuine = results["genuine"]!;
        Assert.True(genuine["ok"]!.GetValue<bool>(), results.ToJsonString());
        Assert.Equal(BotFrameworkSandbox.ApiResource, genuine["claims"]!["iss"]!.GetValue<string>());
        Assert.Equal(fixture.BotId, genuine["claims"]!["aud"]!.GetValue<string>());
        Assert.Equal(fixture.Bot.ServiceUrl, genuine["claims"]!["serviceurl"]!.GetValue<string>());
        // The SDK's own words for each forgery (a broken signature comes from jsonwebtoken, without a status).
        AssertRefused(results, "payloadChanged", "invalid signature");
        AssertRefused(results, "otherAudience", "Invalid AppId passed on token");
        AssertRefused(results, "serviceUrlNotInToken", "ServiceUrl claim do not match");
        AssertRefused(results, "keyNotEndorsedForChannel", "Could not validate endorsement");
        AssertRefused(results, "noToken", "Unauthorized Access");
    }

    [Fact]
    public async Task The_connector_client_opens_a_chat_sends_updates_and_reads_members()
    {
        var user = NewUser("Carl Connector");
        var withoutApp = NewUser("Nadia NoApp");
        fixture.Directory.InstallForUser(fixture.BotId, Contoso, user);

        var result = await NodeReferee.RunAsync("bot.mjs", new JsonObject
        {
            ["scenario"] = "connector",
            ["origin"] = fixture.Sandbox.Origin,
            ["serviceUrl"] = fixture.Bot.ServiceUrl,
            ["appId"] = fixture.BotId,
            ["secret"] = BotFixture.Secret,
            ["tenantId"] = Contoso.ToString(),
            ["userId"] = ConnectorIds.UserId(Contoso, user),
            ["userWithoutApp"] = ConnectorIds.UserId(Contoso, withoutApp),
            ["missingConversation"] = "a:1missing",
        });

        Assert.Null(result["failed"]);
        Assert.Equal(fixture.BotId, result["tokenClaims"]!["appid"]!.GetValue<string>());
        Assert.Equal(BotFrameworkSandbox.ApiResource, result["tokenClaims"]!["aud"]!.GetValue<string>());
        var conversationId = result["conversationId"]!.GetValue<string>();
        var sentId = result["sentId"]!.GetValue<string>();
        Assert.Equal(sentId, result["updatedId"]!.GetValue<string>());
        var logged = Assert.Single(fixture.Bot.Activities.For(conversationId));
        Assert.Equal((sentId, "Incident INC-7 resolved"), (logged.Id, logged.Text));
        var member = Assert.Single(result["members"]!.AsArray())!;
        Assert.Equal((ConnectorIds.UserId(Contoso, user), user.ToString(), "Carl Connector"),
            (member["id"]!.GetValue<string>(), member["aadObjectId"]!.GetValue<string>(), member["name"]!.GetValue<string>()));
        Assert.Equal([ConnectorIds.UserId(Contoso, user)], result["pagedMembers"]!.AsArray().Select(m => m!.GetValue<string>()));

        var refusals = result["refusals"]!;
        AssertRefused(refusals["userWithoutApp"]!, 403, "ForbiddenOperationException");
        AssertRefused(refusals["missingConversation"]!, 404, "ConversationNotFound");
        AssertRefused(refusals["missingActivity"]!, 404, "NotFound");
        Assert.Single(fixture.Bot.Activities.For(conversationId));
    }

    private Guid NewUser(string name)
    {
        var id = Guid.NewGuid();
        fixture.Sandbox.State.AddUser(new User(id, Contoso, $"{id:N}@contoso.example", name));
        return id;
    }

    private static void AssertRefused(JsonObject results, string name, string message)
    {
        Assert.False(results[name]!["ok"]!.GetValue<bool>(), $"{name}: {results.ToJsonString()}");
        Assert.Contains(message, results[name]!["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private static void AssertRefused(JsonNode refusal, int status, string code)
    {
        Assert.True(refusal["refused"]!.GetValue<bool>(), refusal.ToJsonString());
        Assert.Equal(status, refusal["statusCode"]!.GetValue<int>());
        Assert.Equal(code, refusal["code"]!.GetValue<string>());
    }

    private static JsonObject Case(string name, string authorization, JsonObject activity) =>
        new() { ["name"] = name, ["authorization"] = authorization, ["activity"] = activity.DeepClone() };

    /// <summary>The same token with one claim changed and the signature kept: a forgery.</summary>
    private static string Tamper(string authorization)
    {
        var parts = authorization["Bearer ".Length..].Split('.');
        var payload = JsonNode.Parse(Base64UrlDecode(parts[1]))!.AsObject();
        payload["serviceurl"] = "https://attacker.example/";
        parts[1] = Convert.ToBase64String(Encoding.UTF8.GetBytes(payload.ToJsonString())).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return "Bearer " + string.Join('.', parts);
    }

    private static string Base64UrlDecode(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Encoding.UTF8.GetString(Convert.FromBase64String(padded.PadRight(padded.Length + ((4 - (padded.Length % 4)) % 4), '=')));
    }
}
