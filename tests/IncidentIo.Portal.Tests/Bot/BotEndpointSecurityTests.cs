using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using IncidentIo.Sandbox.BotFramework;
using IncidentIo.Sandbox.Entra;
using IncidentIo.Sandbox.State;
using Microsoft.EntityFrameworkCore;

namespace IncidentIo.Portal.Tests.Bot;

/// <summary>
/// Requests our messaging endpoint must refuse, each with a token or body the Sandbox's channel
/// key material makes as close to a real one as possible, and each leaving every table an
/// accepted activity would change exactly as it was (and no job enqueued).
/// </summary>
public sealed class BotEndpointSecurityTests(SqliteBotPortal portal) : IClassFixture<SqliteBotPortal>
{
    private string Thread => portal.ThreadOf(TeamsSeed.EngineeringTeamId);

    private string ValidToken() => portal.Sandbox.Bot.Channel.CreateToken(portal.BotId);

    private JsonObject Claims(Action<JsonObject>? change = null)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var claims = new JsonObject
        {
            ["serviceurl"] = portal.Sandbox.Bot.ServiceUrl,
            ["nbf"] = now - 60,
            ["exp"] = now + 3600,
            ["iss"] = "https://api.botframework.com",
            ["aud"] = portal.BotId,
        };
        change?.Invoke(claims);
        return claims;
    }

    private async Task AssertRefusedAsync(HttpStatusCode expected, string? token, string body)
    {
        var before = await portal.StoredStateAsync();
        using var response = await portal.PostAsync(token, body);
        Assert.Equal(expected, response.StatusCode);
        Assert.Null(response.Headers.Location); // never a redirect to sign-in
        Assert.Equal(before, await portal.StoredStateAsync());
    }

    [Fact]
    public async Task A_genuine_activity_is_accepted_and_stored_so_the_refusals_below_would_show()
    {
        var activity = portal.TeamInstallActivity(portal.ThreadOf(TeamsSeed.OperationsTeamId));
        using var response = await portal.PostAsync(ValidToken(), activity.ToJsonString());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var db = portal.NewContext();
        Assert.True(await db.BotTeams.AnyAsync(t => t.TeamThreadId == portal.ThreadOf(TeamsSeed.OperationsTeamId)));
        Assert.True(await db.BotReceivedActivities.AnyAsync(r => r.ActivityId == activity["id"]!.GetValue<string>()));
        Assert.Equal(portal.Sandbox.Bot.ServiceUrl, (await db.Organizations.SingleAsync(o => o.Id == portal.OrganizationId)).BotServiceUrl);
    }

    [Fact]
    public async Task No_token_is_refused_without_a_sign_in_redirect()
    {
        await AssertRefusedAsync(HttpStatusCode.Unauthorized, null, portal.TeamInstallActivity(Thread).ToJsonString());
        await AssertRefusedAsync(HttpStatusCode.Unauthorized, "not-a-jwt", portal.TeamInstallActivity(Thread).ToJsonString());
    }

    [Fact]
    public async Task An_expired_token_is_refused()
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        // Expired an hour ago: well past the five minutes' clock skew.
        var token = Jwt.Sign(Claims(c => { c["nbf"] = now - 7200; c["exp"] = now - 3600; }), portal.Sandbox.Bot.ChannelKeys.Current);
        await AssertRefusedAsync(HttpStatusCode.Unauthorized, token, portal.TeamInstallActivity(Thread).ToJsonString());
    }

    [Fact]
    public async Task A_token_for_another_bot_is_refused()
    {
        await AssertRefusedAsync(HttpStatusCode.Unauthorized, portal.Sandbox.Bot.Channel.CreateToken(Guid.NewGuid().ToString()), portal.TeamInstallActivity(Thread).ToJsonString());
    }

    [Fact]
    public async Task A_token_from_another_issuer_is_refused()
    {
        var token = Jwt.Sign(Claims(c => c["iss"] = BotFrameworkSandbox.TokenIssuer), portal.Sandbox.Bot.ChannelKeys.Current);
        await AssertRefusedAsync(HttpStatusCode.Unauthorized, token, portal.TeamInstallActivity(Thread).ToJsonString());
    }

    [Fact]
    public async Task A_key_not_endorsed_for_msteams_is_forbidden()
    {
        var webchatOnly = portal.Sandbox.Bot.ChannelKeys.Rotate("webchat");
        try
        {
            await AssertRefusedAsync(HttpStatusCode.Forbidden, portal.Sandbox.Bot.Channel.CreateToken(portal.BotId, key: webchatOnly), portal.TeamInstallActivity(Thread).ToJsonString());
        }
        finally
        {
            // The channel signs with the newest key: give it one endorsed for everything again.
            portal.Sandbox.Bot.ChannelKeys.Rotate();
        }
    }

    [Theory]
    [InlineData("webchat")]
    [InlineData("directline")]
    [InlineData("MSTeams")]
    public async Task A_genuine_token_for_another_channel_is_forbidden_whatever_tenant_the_activity_claims(string channel)
    {
        // The channel's key is endorsed for these channels too (as Azure's is for Web Chat): only the channel id differs.
        var forged = portal.TeamInstallActivity(Thread);
        forged["channelId"] = channel;

        await AssertRefusedAsync(HttpStatusCode.Forbidden, ValidToken(), forged.ToJsonString());
    }

    [Fact]
    public async Task A_token_changed_after_signing_is_refused()
    {
        var parts = ValidToken().Split('.');
        var claims = JsonNode.Parse(Encoding.UTF8.GetString(Base64UrlDecode(parts[1])))!.AsObject();
        claims["exp"] = claims["exp"]!.GetValue<long>() + 86_400;
        var tampered = $"{parts[0]}.{Base64UrlEncode(Encoding.UTF8.GetBytes(claims.ToJsonString()))}.{parts[2]}";

        await AssertRefusedAsync(HttpStatusCode.Unauthorized, tampered, portal.TeamInstallActivity(Thread).ToJsonString());
    }

    [Fact]
    public async Task A_token_signed_by_a_key_the_channel_does_not_publish_is_refused()
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var unpublished = new SigningKey(portal.Sandbox.Bot.ChannelKeys.Current.KeyId + "-other", rsa);
        await AssertRefusedAsync(HttpStatusCode.Unauthorized, Jwt.Sign(Claims(), unpublished), portal.TeamInstallActivity(Thread).ToJsonString());

        // The same kid as a published key, but signed by another private key: the signature fails.
        var impostor = new SigningKey(portal.Sandbox.Bot.ChannelKeys.Current.KeyId, rsa);
        await AssertRefusedAsync(HttpStatusCode.Unauthorized, Jwt.Sign(Claims(), impostor), portal.TeamInstallActivity(Thread).ToJsonString());
    }

    [Fact]
    public async Task A_token_for_another_service_url_is_refused()
    {
        var token = portal.Sandbox.Bot.Channel.CreateToken(portal.BotId, serviceUrl: "https://smba.trafficmanager.net/amer/");
        await AssertRefusedAsync(HttpStatusCode.Unauthorized, token, portal.TeamInstallActivity(Thread).ToJsonString());

        // Or a genuine token with the activity's serviceUrl changed to somewhere else.
        var activity = portal.TeamInstallActivity(Thread);
        activity["serviceUrl"] = "https://attacker.example/";
        await AssertRefusedAsync(HttpStatusCode.Unauthorized, ValidToken(), activity.ToJsonString());
    }

    [Fact]
    public async Task An_activity_whose_service_url_is_not_an_allowed_teams_host_is_forbidden_and_changes_nothing()
    {
        // Genuine tokens vouching for the activity's serviceUrl: only the host is wrong. In Sandbox
        // mode even Teams' own host is not allowed, only the Sandbox's origin. (An http serviceUrl is
        // a malformed activity, 400, below.)
        var sandbox = new Uri(portal.Sandbox.Bot.ServiceUrl);
        foreach (var serviceUrl in new[]
                 {
                     "https://smba.trafficmanager.net/amer/", "https://attacker.example/teams/",
                     $"https://{sandbox.Host}:{sandbox.Port + 1}{sandbox.AbsolutePath}",
                 })
        {
            var activity = portal.TeamInstallActivity(portal.ThreadOf(TeamsSeed.OperationsTeamId));
            activity["serviceUrl"] = serviceUrl;
            await AssertRefusedAsync(HttpStatusCode.Forbidden, portal.Sandbox.Bot.Channel.CreateToken(portal.BotId, serviceUrl), activity.ToJsonString());
        }
    }

    [Fact]
    public async Task Malformed_or_incomplete_activities_are_bad_requests()
    {
        await AssertRefusedAsync(HttpStatusCode.BadRequest, ValidToken(), "{\"type\":\"installationUpdate\",");
        await AssertRefusedAsync(HttpStatusCode.BadRequest, ValidToken(), "[1,2,3]");
        await AssertRefusedAsync(HttpStatusCode.BadRequest, ValidToken(), "");
        foreach (var missing in new[] { "type", "serviceUrl", "conversation" })
        {
            var activity = portal.TeamInstallActivity(Thread);
            activity.Remove(missing);
            // Without serviceUrl the token's serviceurl cannot match either: 400 comes first, before any use of it.
            await AssertRefusedAsync(HttpStatusCode.BadRequest, ValidToken(), activity.ToJsonString());
        }
    }

    [Fact]
    public async Task An_oversized_body_is_refused_before_it_is_read_whole()
    {
        var activity = portal.TeamInstallActivity(Thread);
        activity["text"] = new string('x', 300 * 1024); // Bot:MaxActivityBytes is 256 KiB
        await AssertRefusedAsync(HttpStatusCode.RequestEntityTooLarge, ValidToken(), activity.ToJsonString());

        // Sent without Content-Length (chunked): stopped once past the limit.
        var before = await portal.StoredStateAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/messages")
        {
            Content = new StreamContent(new NoLengthStream(Encoding.UTF8.GetBytes(activity.ToJsonString()))),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ValidToken());
        using var response = await portal.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(before, await portal.StoredStateAsync());
    }

    [Fact]
    public async Task A_repeated_delivery_is_acknowledged_and_has_no_second_effect()
    {
        var uma = portal.SandboxUser("user@contoso.example");
        var conversation = $"a:{Guid.NewGuid():N}";
        var activity = new JsonObject
        {
            ["type"] = "installationUpdate",
            ["action"] = "add",
            ["id"] = $"f:{Guid.NewGuid()}",
            ["channelId"] = "msteams",
            ["serviceUrl"] = portal.Sandbox.Bot.ServiceUrl,
            ["from"] = new JsonObject { ["id"] = "29:uma", ["aadObjectId"] = uma.ToString() },
            ["recipient"] = new JsonObject { ["id"] = $"28:{portal.BotId}" },
            ["conversation"] = new JsonObject { ["conversationType"] = "personal", ["tenantId"] = BotPortal.Contoso.ToString(), ["id"] = conversation },
            ["channelData"] = new JsonObject { ["tenant"] = new JsonObject { ["id"] = BotPortal.Contoso.ToString() } },
        };
        using (var first = await portal.PostAsync(ValidToken(), activity.ToJsonString()))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        Assert.Equal(conversation, (await portal.UserAsync("user@contoso.example")).BotConversationId);

        // Something else happened since (the person removed our app): the old delivery, repeated, must not undo it.
        await using (var db = portal.NewContext())
        {
            var user = await db.Users.SingleAsync(u => u.UserPrincipalName == "user@contoso.example");
            user.BotConversationId = null;
            user.AppInstallation.State = IncidentIo.Domain.Reachability.InstallationState.NotInstalled;
            await db.SaveChangesAsync();
        }

        var before = await portal.StoredStateAsync();
        using (var again = await portal.PostAsync(ValidToken(), activity.ToJsonString()))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        Assert.Equal(before, await portal.StoredStateAsync());
        await using var check = portal.NewContext();
        Assert.Equal(1, await check.BotReceivedActivities.CountAsync(r => r.ActivityId == activity["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Unknown_activity_types_and_unknown_tenants_are_acknowledged_and_change_nothing()
    {
        var before = await portal.StoredStateAsync();
        var typing = portal.TeamInstallActivity(Thread);
        typing["type"] = "typing";
        using (var response = await portal.PostAsync(ValidToken(), typing.ToJsonString()))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using (var response = await portal.PostAsync(ValidToken(), portal.TeamInstallActivity(Thread, tenantId: Guid.NewGuid()).ToJsonString()))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(before, await portal.StoredStateAsync());
    }

    private static byte[] Base64UrlDecode(string text) =>
        Convert.FromBase64String(text.Replace('-', '+').Replace('_', '/').PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '='));

    private static string Base64UrlEncode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>A readable stream that will not say its length, so the request goes chunked.</summary>
    private sealed class NoLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
