using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using IncidentIo.Sandbox.BotFramework;
using IncidentIo.Sandbox.State;
using Microsoft.Identity.Client;

namespace IncidentIo.Sandbox.Tests.BotFramework;

/// <summary>Rate limits, removed apps and token endpoint refusals around the connector.</summary>
[Collection(SharedBotSandbox.Name)]
public sealed class ConnectorLimitsTests(BotFixture fixture)
{
    private static readonly Guid Contoso = DemoSeed.ContosoTenantId;

    [Fact]
    public async Task Past_seven_sends_a_second_to_one_thread_the_connector_answers_Throttled()
    {
        var team = fixture.Team(withApp: true, DemoSeed.AdminId);
        using var connector = await fixture.ConnectorAsync();
        var message = new JsonObject { ["type"] = "message", ["text"] = "x" };
        fixture.Bot.EnforceRateLimits = true;
        try
        {
            for (var i = 0; i < 7; i++)
            {
                using var ok = await connector.PostAsJsonAsync($"v3/conversations/{team.Id}/activities", message);
                Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
            }

            using var throttled = await connector.PostAsJsonAsync($"v3/conversations/{team.Id}/activities", message);
            Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), throttled.Headers.RetryAfter!.Delta);
            Assert.Equal(
                """{"error":{"code":"Throttled","message":"Too many requests."}}""",
                await throttled.Content.ReadAsStringAsync());
            Assert.Equal(7, fixture.Bot.Activities.For(team.Id).Count);

            fixture.Sandbox.Clock.Advance(TimeSpan.FromSeconds(1.1));
            using var later = await connector.PostAsJsonAsync($"v3/conversations/{team.Id}/activities", message);
            Assert.Equal(HttpStatusCode.Created, later.StatusCode);
        }
        finally
        {
            fixture.Bot.EnforceRateLimits = false;
        }
    }

    [Fact]
    public async Task A_create_with_a_first_activity_sends_it_and_later_sends_fail_once_the_user_removed_the_app()
    {
        fixture.Directory.InstallForUser(fixture.BotId, Contoso, DemoSeed.NoTeamUser2Id);
        using var connector = await fixture.ConnectorAsync();

        using var created = await connector.PostAsJsonAsync("v3/conversations", new JsonObject
        {
            ["members"] = new JsonArray(new JsonObject { ["id"] = ConnectorIds.UserId(Contoso, DemoSeed.NoTeamUser2Id) }),
            ["channelData"] = new JsonObject { ["tenant"] = new JsonObject { ["id"] = Contoso.ToString() } },
            ["activity"] = new JsonObject { ["type"] = "message", ["text"] = "Welcome" },
        });
        var body = (await created.Content.ReadFromJsonAsync<JsonObject>())!;
        var conversationId = body["id"]!.GetValue<string>();
        Assert.Equal(body["activityId"]!.GetValue<string>(), Assert.Single(fixture.Bot.Activities.For(conversationId)).Id);

        fixture.Directory.UninstallForUser(fixture.BotId, Contoso, DemoSeed.NoTeamUser2Id);
        using var blocked = await connector.PostAsJsonAsync($"v3/conversations/{conversationId}/activities", new JsonObject { ["type"] = "message", ["text"] = "again" });

        Assert.Equal(HttpStatusCode.Forbidden, blocked.StatusCode);
        var error = (await blocked.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(209, error["errorCode"]!.GetValue<int>());
        Assert.Contains("MessageWritesBlocked", error["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_bots_conversation_is_not_found()
    {
        var other = fixture.Sandbox.RegisterApp(a => a with { ClientSecrets = ["other-secret"] });
        fixture.Bot.RegisterBot(new BotRegistration { AppId = other.ClientId, Name = "Other" });
        fixture.Directory.InstallForUser(fixture.BotId, Contoso, DemoSeed.AdminId);
        var ours = fixture.Bot.Conversations.GetOrCreate(fixture.BotId, Contoso, DemoSeed.AdminId);
        var token = await fixture.Msal(other.ClientId, "other-secret").AcquireTokenForClient(BotFixture.ConnectorScope).ExecuteAsync();
        using var client = new HttpClient(Infrastructure.TestCertificates.Authority.CreateHandler(fixture.Sandbox.Origin)) { BaseAddress = new Uri(fixture.Bot.ServiceUrl) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", token.AccessToken);

        using var response = await client.PostAsJsonAsync($"v3/conversations/{ours.Id}/activities", new JsonObject { ["type"] = "message" });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task The_botframework_com_authority_refuses_wrong_secrets_and_other_scopes()
    {
        var wrongSecret = await Assert.ThrowsAsync<MsalServiceException>(() =>
            fixture.Msal(secret: "wrong").AcquireTokenForClient(BotFixture.ConnectorScope).ExecuteAsync());
        Assert.Equal("invalid_client", wrongSecret.ErrorCode);

        var graph = await Assert.ThrowsAsync<MsalServiceException>(() =>
            fixture.Msal().AcquireTokenForClient(["https://graph.microsoft.com/.default"]).ExecuteAsync());
        Assert.Equal("invalid_scope", graph.ErrorCode);
    }
}
