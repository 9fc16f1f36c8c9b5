using IncidentIo.Domain.Bot;
using IncidentIo.Domain.MicrosoftCloud;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Identity.Client;
using Microsoft.Kiota.Abstractions;

namespace IncidentIo.Domain.Announcements;

/// <summary>
/// Whether a channel belongs to one of an organisation's teams, as Microsoft lists that team's
/// channels to the organisation's own app token (Graph <c>GET /teams/{id}/channels</c>). A channel id
/// typed into a rule, or one Teams no longer lists, is never trusted: our multi-tenant bot can post
/// into any conversation it is in, including another organisation's.
/// https://learn.microsoft.com/en-us/graph/api/channel-list
/// </summary>
public sealed class TeamChannels(MainAppTokens tokens, IServiceProvider services, TimeProvider clock)
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Listed, not listed, or could not be read (then <see cref="ChannelListing.Problem"/> says why).
    /// The team's General channel is its own thread id, which Teams gave our bot: always listed.
    /// </summary>
    public async Task<ChannelListing> CheckAsync(Guid tenantId, BotTeam team, string channelId, CancellationToken cancellationToken)
    {
        if (channelId == team.TeamThreadId)
        {
            return ChannelListing.Listed;
        }

        if (team.GraphTeamId is not { } graphTeamId)
        {
            return ChannelListing.Unreadable($"We do not know {team.Name}'s Microsoft 365 id yet, so its channels cannot be checked; try again in a minute.");
        }

        try
        {
            using var graph = new RecordedGraph(services, ct => tokens.AcquireAsync(tenantId, cancellationToken: ct), CallTimeout, clock);
            var client = graph.Client;
            var page = await client.Teams[graphTeamId.ToString()].Channels.GetAsync(r => r.QueryParameters.Select = ["id", "displayName"], cancellationToken);
            while (page is not null)
            {
                if (page.Value?.Any(c => c.Id == channelId) == true)
                {
                    return ChannelListing.Listed;
                }

                if (page.OdataNextLink is not { Length: > 0 } next)
                {
                    break;
                }

                page = await client.Teams[graphTeamId.ToString()].Channels.WithUrl(next).GetAsync(cancellationToken: cancellationToken);
            }

            return ChannelListing.NotListed;
        }
        catch (MsalException error)
        {
            return ChannelListing.Unreadable($"No Microsoft token for your organisation ({error.ErrorCode}); the global permissions may be missing.");
        }
        catch (ODataError error)
        {
            return ChannelListing.Unreadable($"Microsoft did not list {team.Name}'s channels ({error.ResponseStatusCode} {error.Error?.Code}).");
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException or ApiException && !cancellationToken.IsCancellationRequested)
        {
            return ChannelListing.Unreadable($"Microsoft could not be reached to list {team.Name}'s channels ({error.GetType().Name}).");
        }
    }
}

public sealed record ChannelListing(bool IsListed, string? Problem)
{
    public static readonly ChannelListing Listed = new(true, null);

    public static readonly ChannelListing NotListed = new(false, null);

    public static ChannelListing Unreadable(string problem) => new(false, problem);
}
