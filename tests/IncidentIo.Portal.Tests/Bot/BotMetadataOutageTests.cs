using System.Net;
using IncidentIo.Sandbox.State;

namespace IncidentIo.Portal.Tests.Bot;

/// <summary>When the channel's keys cannot be read, a genuine activity is answered 503 (Microsoft retries later) and nothing is done.</summary>
public sealed class BotMetadataOutageTests(UnreadableMetadataBotPortal portal) : IClassFixture<UnreadableMetadataBotPortal>
{
    [Fact]
    public async Task A_genuine_activity_waits_for_the_keys_and_changes_nothing()
    {
        var before = await portal.StoredStateAsync();
        using var response = await portal.PostAsync(
            portal.Sandbox.Bot.Channel.CreateToken(portal.BotId), portal.TeamInstallActivity(portal.ThreadOf(TeamsSeed.EngineeringTeamId)).ToJsonString());

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(before, await portal.StoredStateAsync());
    }
}
