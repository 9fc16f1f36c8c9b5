using Hangfire;
using IncidentIo.Domain.Bot.Connector;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.People;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace IncidentIo.Domain.Bot;

/// <summary>
/// Teams' install events often carry only the team's thread id: this job asks the connector for the
/// team's name and Graph id, so people see "Operations" rather than "19:…" when they pick a team,
/// and then asks for the read of its members (which needs the Graph id).
/// </summary>
public sealed class BotTeamDetailsRefresh(
    IDbContextFactory<IncidentIoDbContext> dbFactory, BotConnector connector, IBackgroundJobClient jobs, TimeProvider clock, ILogger<BotTeamDetailsRefresh> logger)
{
    public async Task RefreshAsync(Guid organizationId, string teamThreadId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var team = await db.BotTeams.SingleOrDefaultAsync(t => t.OrganizationId == organizationId && t.TeamThreadId == teamThreadId, cancellationToken);
        if (team is not { IsInstalled: true })
        {
            return;
        }

        var details = await connector.GetTeamDetailsAsync(new Uri(team.ServiceUrl), teamThreadId, cancellationToken);
        team.Name = ClippedText.Clip(details.Name, BotTeam.NameMaxLength);
        team.GraphTeamId ??= details.AadGroupId;
        team.UpdatedAt = clock.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Our bot's team {Thread} is \"{Name}\"", teamThreadId, team.Name);
        if (team.GraphTeamId is { } graphId)
        {
            // Our app just arrived there: its members become people of the organisation.
            var name = team.Name;
            jobs.Enqueue<TeamRosters>(r => r.RequestAsync(organizationId, graphId, name, TeamRosters.BotInstalledTrigger, CancellationToken.None));
        }
    }
}
