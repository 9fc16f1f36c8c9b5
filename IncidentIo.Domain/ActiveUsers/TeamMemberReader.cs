using IncidentIo.Domain.MicrosoftCloud;
using Microsoft.Extensions.Options;
using Microsoft.Graph.Models;

namespace IncidentIo.Domain.ActiveUsers;

/// <summary>
/// Reads a team's members through Graph (<c>GET /teams/{id}/members</c>, 999 a page), paced per
/// tenant with every worker and retried (<see cref="PacedGraphCalls"/>, the sweep's rates). The sweep reads whole teams with it; the roster
/// read of a team our app just arrived in reads it a page at a time, keeping the next page's link.
/// </summary>
public sealed class TeamMemberReader(PacedGraphCalls calls, IOptions<ActiveUserSweepOptions> options, TimeProvider clock)
{
    public const string MembersOperation = "get-team-members";

    /// <summary>Microsoft's largest page of members.</summary>
    public const int PageSize = 999;

    private readonly ActiveUserSweepOptions settings = options.Value;

    /// <summary>The wait between two pages of one team: Microsoft allows 4 requests per second per app on one team.</summary>
    public TimeSpan PerTeamGap => TimeSpan.FromSeconds(1 / settings.PerTeamPerSecond);

    /// <summary>One page: the first when <paramref name="nextLink"/> is null, else the page it names.</summary>
    public async Task<(TeamMembersPage? Page, string? Error)> ReadPageAsync(
        Guid tenantId, RecordedGraph graph, string teamId, string? nextLink, CancellationToken cancellationToken)
    {
        var members = graph.Client.Teams[teamId].Members;
        var (page, error) = await WithRetriesAsync(tenantId, MembersOperation, settings.MembersPerSecond, () => nextLink is null
            ? members.GetAsync(r => r.QueryParameters.Top = PageSize, cancellationToken)
            : members.WithUrl(nextLink).GetAsync(cancellationToken: cancellationToken), cancellationToken);
        if (error is not null)
        {
            return (null, error);
        }

        var found = new List<TeamMember>();
        foreach (var member in page?.Value ?? [])
        {
            if (member is AadUserConversationMember { UserId: { } userId } person && Guid.TryParse(userId, out var objectId))
            {
                found.Add(new TeamMember(objectId, person.DisplayName, person.Email));
            }
        }

        return (new TeamMembersPage(found, page?.OdataNextLink), null);
    }

    /// <summary>One person among the team's members (a filtered read), or null when they are not in it.</summary>
    public async Task<(TeamMember? Member, string? Error)> FindMemberAsync(Guid tenantId, RecordedGraph graph, string teamId, Guid objectId, CancellationToken cancellationToken)
    {
        // https://learn.microsoft.com/en-us/graph/api/team-list-members: $filter on the member's userId.
        var (page, error) = await WithRetriesAsync(tenantId, MembersOperation, settings.MembersPerSecond, () => graph.Client.Teams[teamId].Members.GetAsync(
            r => r.QueryParameters.Filter = $"(microsoft.graph.aadUserConversationMember/userId eq '{objectId}')", cancellationToken), cancellationToken);
        var member = page?.Value?.OfType<AadUserConversationMember>().FirstOrDefault(m => Guid.TryParse(m.UserId, out var id) && id == objectId);
        return (member is null ? null : new TeamMember(objectId, member.DisplayName, member.Email), error);
    }

    /// <summary>Every page of a team, each handed to <paramref name="onPage"/>.</summary>
    /// <returns>null when every page was read; otherwise why not.</returns>
    public async Task<string?> ReadAllAsync(
        Guid tenantId, RecordedGraph graph, string teamId, Action<IReadOnlyList<TeamMember>> onPage, CancellationToken cancellationToken)
    {
        string? next = null;
        while (true)
        {
            var (page, error) = await ReadPageAsync(tenantId, graph, teamId, next, cancellationToken);
            if (page is null)
            {
                return error;
            }

            onPage(page.Members);
            if (page.NextLink is not { } link)
            {
                return null;
            }

            next = link;
            await Task.Delay(PerTeamGap, clock, cancellationToken);
        }
    }

    /// <summary>How a kind of sweep read is paced and retried (the sweep's attempts, backoff and time-out).</summary>
    public PacedCallPolicy Policy(string operation, double perSecond) =>
        new(operation, perSecond, settings.MaxAttempts, settings.FirstBackoff, settings.CallTimeout);

    /// <summary>One Graph read, paced with every worker and retried on 429/503/504 (after <c>Retry-After</c>), 5xx and time-outs.</summary>
    public Task<(T? Result, string? Error)> WithRetriesAsync<T>(Guid tenantId, string operation, double perSecond, Func<Task<T?>> call, CancellationToken cancellationToken) =>
        calls.CallAsync(tenantId, Policy(operation, perSecond), call, cancellationToken);
}

/// <summary>A person in a team, as Graph lists them (the e-mail is usually, not always, their sign-in name).</summary>
public sealed record TeamMember(Guid ObjectId, string? DisplayName, string? Email);

public sealed record TeamMembersPage(IReadOnlyList<TeamMember> Members, string? NextLink);
