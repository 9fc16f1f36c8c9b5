using System.Diagnostics;
using IncidentIo.Domain.ActiveUsers;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.People;
using IncidentIo.Domain.Tests.Reachability;
using IncidentIo.Domain.Tests.Setup.AutomaticInstall;
using IncidentIo.Sandbox.State;
using IncidentIo.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace IncidentIo.Domain.Tests.People;

/// <summary>
/// Our app added to a 5,000-member team, against the Sandbox with Microsoft's published Teams limits
/// enforced, on PostgreSQL: every member becomes known. Prints the Graph requests against the fewest
/// pages possible and the wall time against the throttle floor (no assertion on time).
/// </summary>
[Trait("Category", "Benchmark")]
public sealed class RosterBenchmark(ITestOutputHelper output)
{
    private const int Members = 5_000;

    [Fact]
    public async Task A_5000_member_team_added_makes_all_5000_known()
    {
        await using var harness = await ReachabilityHarness.StartAsync(DatabaseOptions.Postgres, throttle: true, generatedUsers: Members);
        await using (var db = await harness.DbAsync())
        {
            await db.Users.Where(u => u.UserPrincipalName != "admin@contoso.example").ExecuteDeleteAsync();
        }

        var generated = harness.Sandbox.State.Users(ReachabilityHarness.Contoso).Select(u => u.Id)
            .Where(id => id != DemoSeed.AdminId).Take(Members - 1).Prepend(DemoSeed.AdminId).ToList();
        var team = harness.Sandbox.State.Teams.CreateTeam(ReachabilityHarness.Contoso, "Everyone", null, generated.Select((id, i) => (id, i == 0)));
        var catalogId = harness.Sandbox.State.Teams.CatalogApps(ReachabilityHarness.Contoso).Single(a => a.ManifestId == harness.TeamsApp.AppId).Id;
        harness.Sandbox.State.Teams.InstallInTeam(ReachabilityHarness.Contoso, team.Id, catalogId);
        harness.Sandbox.Throttling.ResetCounts();

        var rosters = harness.Services.GetRequiredService<TeamRosters>();
        var clock = Stopwatch.StartNew();
        await rosters.RequestAsync(harness.OrganizationId, team.Id, "Everyone", TeamRosters.BotInstalledTrigger, CancellationToken.None);
        foreach (var job in harness.Services.GetRequiredService<RecordingJobClient>().Taken(nameof(TeamRosters.ReadAsync)))
        {
            await rosters.ReadAsync((Guid)job.Args[0], CancellationToken.None);
        }

        var elapsed = clock.Elapsed;
        var read = Assert.Single(await rosters.ReadsOfAsync(harness.OrganizationId));
        int known;
        await using (var db = await harness.DbAsync())
        {
            known = await db.Users.CountAsync(u => u.OrganizationId == harness.OrganizationId && generated.Contains(u.MicrosoftObjectId));
        }

        var admitted = harness.Sandbox.Throttling.Admitted;

        // The same team read again with everyone known: the pages and pacing alone, nothing to write.
        await using (var db = await harness.DbAsync())
        {
            await db.TeamRosterReads.ExecuteUpdateAsync(s => s.SetProperty(r => r.FinishedAt, DateTimeOffset.UtcNow - TeamRosters.FreshFor - TimeSpan.FromMinutes(1)));
        }

        var again = Stopwatch.StartNew();
        await rosters.RequestAsync(harness.OrganizationId, team.Id, "Everyone", TeamRosters.BotInstalledTrigger, CancellationToken.None);
        foreach (var job in harness.Services.GetRequiredService<RecordingJobClient>().Taken(nameof(TeamRosters.ReadAsync)))
        {
            await rosters.ReadAsync((Guid)job.Args[0], CancellationToken.None);
        }

        var rereadTime = again.Elapsed;
        var reread = Assert.Single(await rosters.ReadsOfAsync(harness.OrganizationId));
        var memberCalls = admitted.GetValueOrDefault("GET team members");
        var minimumPages = (Members + TeamMemberReader.PageSize - 1) / TeamMemberReader.PageSize;
        var limits = harness.Sandbox.Throttling.Options;
        var tenantLimit = limits.Rules.Single(r => r.Name == "GET team members").PerSecond;
        // One team's pages wait for each other (4 per second per team), and all count against the tenant's 60 per second.
        var floor = Math.Max(minimumPages / tenantLimit, (minimumPages - 1) / limits.PerTeamPerSecond);
        var report = string.Join('\n',
            $"Roster read: our app added to one team of {Members:N0} members (Sandbox, published Teams limits enforced, PostgreSQL); Adele known before, everyone else new",
            $"  members known afterwards                       {known:N0} of {Members:N0} (read: {read.State}, {read.PagesRead} pages, {read.MembersSeen:N0} seen, {read.PeopleAdded:N0} added)",
            $"  Graph requests (GET members)                   {read.GraphRequests} (Sandbox admitted {memberCalls}, 429s {harness.Sandbox.Throttling.Rejected.Values.Sum()})",
            $"  ÷ minimum ({minimumPages} pages of {TeamMemberReader.PageSize})                  {(double)read.GraphRequests / minimumPages:F2}   (bound 1.00)",
            $"  wall time                                      {elapsed.TotalSeconds:F2} s",
            $"  throttle floor ({minimumPages - 1} gaps at {limits.PerTeamPerSecond}/s per team)       {floor:F2} s",
            $"  wall time ÷ floor                              {elapsed.TotalSeconds / floor:F2}   (includes writing {read.PeopleAdded:N0} people and their audit entries)",
            $"  read again, everyone known (no writes)         {rereadTime.TotalSeconds:F2} s, {reread.GraphRequests} requests, {reread.PeopleAdded} added; ÷ floor {rereadTime.TotalSeconds / floor:F2}");
        output.WriteLine(report);
        Measurements.Record("roster-read-5000", report);
        Measurements.Figure("roster read: Graph requests / minimum", (double)read.GraphRequests / minimumPages, "ratio", 1.0, size: $"{Members:N0} members");
        // Its wall time is mostly writing thousands of new people and their audit entries, which no throttle floor bounds: it is in the report above, not the table.
        Measurements.Figure("roster read again: wall time / throttle floor", rereadTime.TotalSeconds / floor, "ratio", 1.15, size: $"{Members:N0} members, all known");

        Assert.Equal(Members, known);
        Assert.Equal(RosterReadState.Done, read.State);
        Assert.Equal(minimumPages, read.GraphRequests);
        Assert.Equal(Members - 1, read.PeopleAdded);
        Assert.Equal((minimumPages, 0), (reread.GraphRequests, reread.PeopleAdded));
    }
}
