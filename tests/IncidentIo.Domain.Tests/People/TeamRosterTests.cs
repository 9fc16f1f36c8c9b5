using IncidentIo.Domain.ActiveUsers;
using IncidentIo.Domain.Bot;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.People;
using IncidentIo.Domain.Reachability;
using IncidentIo.Domain.Setup;
using IncidentIo.Domain.Tests.Reachability;
using IncidentIo.Domain.Tests.Setup.AutomaticInstall;
using IncidentIo.Domain.Users;
using IncidentIo.Sandbox.State;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using AuditLogEntry = IncidentIo.Domain.Audit.AuditLogEntry;
using User = IncidentIo.Domain.Users.User;

namespace IncidentIo.Domain.Tests.People;

/// <summary>The people of the teams where our bot is installed become known: roster reads against the Sandbox, their bad paths, and the other ways people are found.</summary>
public sealed class TeamRosterTests
{
    private static readonly Guid Contoso = ReachabilityHarness.Contoso;
    private static readonly Guid Engineering = TeamsSeed.EngineeringTeamId;

    [Fact]
    public async Task Our_app_arriving_in_Engineering_makes_its_8_members_known_as_audited_viewers_and_installs_our_app_for_them()
    {
        await using var harness = await StartKnowingOnlyAdminAsync();
        var rosters = harness.Services.GetRequiredService<TeamRosters>();

        Assert.True(await rosters.RequestAsync(harness.OrganizationId, Engineering, "Engineering", TeamRosters.BotInstalledTrigger, CancellationToken.None));
        await RunQueuedReadsAsync(harness);

        var people = await PeopleAsync(harness);
        Assert.Equal(8, people.Count); // Adele was known; the other 7 are new
        var found = people.Where(u => u.UserPrincipalName != "admin@contoso.example").ToList();
        Assert.All(found, u => Assert.Equal(UserRole.Viewer, u.Role));
        Assert.All(found, u => Assert.True(u.IsActive));
        Assert.All(found, u => Assert.Equal(InstallationState.Pending, u.AppInstallation.State));
        Assert.Contains(found, u => u.DisplayName == "Blake Blocked" && u.UserPrincipalName == "blocked@contoso.example");
        var audit = await AuditAsync(harness, "user.found-in-team");
        Assert.Equal(7, audit.Count);
        Assert.All(audit, a => Assert.Contains("\"Engineering\"", a.Details, StringComparison.Ordinal));
        Assert.All(audit, a => Assert.Equal(TeamRosters.Actor, a.Actor));
        var read = Assert.Single(await rosters.ReadsOfAsync(harness.OrganizationId));
        Assert.Equal((RosterReadState.Done, 1, 8, 7, 1), (read.State, read.PagesRead, read.MembersSeen, read.PeopleAdded, read.GraphRequests));

        // The existing installer, its pace and retries: Blake's policy blocks our app, the others get it.
        var install = Assert.Single(Jobs(harness).Taken(nameof(AppInstallationJobs.InstallDueAsync)));
        Assert.Equal(FoundPeople.InstallTrigger, install.Args[1]);
        await harness.Services.GetRequiredService<AppInstallationJobs>().InstallDueAsync(harness.OrganizationId, FoundPeople.InstallTrigger, CancellationToken.None);
        var states = (await PeopleAsync(harness)).Where(u => u.UserPrincipalName != "admin@contoso.example").ToDictionary(u => u.DisplayName, u => u.AppInstallation.State);
        Assert.Equal(InstallationState.BlockedByPolicy, states["Blake Blocked"]);
        Assert.Equal(6, states.Values.Count(s => s == InstallationState.Installed));
    }

    [Fact]
    public async Task Nobody_is_removed_or_duplicated_and_a_deactivated_member_is_restored_with_their_role()
    {
        await using var harness = await ReachabilityHarness.StartAsync();
        await using (var db = await harness.DbAsync())
        {
            var uma = await db.Users.SingleAsync(u => u.UserPrincipalName == "user@contoso.example");
            uma.Role = UserRole.Responder;
            uma.Deactivate("Not in any bot team (test).", DateTimeOffset.UtcNow);
            await db.SaveChangesAsync();
        }

        var before = (await PeopleAsync(harness)).Count;
        await harness.Services.GetRequiredService<TeamRosters>().RequestAsync(harness.OrganizationId, Engineering, "Engineering", "bot-installed", CancellationToken.None);
        await RunQueuedReadsAsync(harness);

        Assert.Equal(before, (await PeopleAsync(harness)).Count); // everyone was known: nobody added, nobody removed (the loners stay)
        Assert.Empty(await AuditAsync(harness, "user.found-in-team"));
        var uma2 = await harness.UserAsync("user@contoso.example");
        Assert.True(uma2.IsActive);
        Assert.Equal(UserRole.Responder, uma2.Role);
        Assert.True((await harness.UserAsync("loner1@contoso.example")).IsActive);
        Assert.Empty(Jobs(harness).Taken(nameof(AppInstallationJobs.InstallDueAsync)));
    }

    [Fact]
    public async Task An_organisation_without_the_global_permissions_reads_nothing()
    {
        await using var harness = await StartKnowingOnlyAdminAsync();
        await using (var db = await harness.DbAsync())
        {
            await db.Organizations.ExecuteUpdateAsync(s => s.SetProperty(o => o.GlobalPermissionsGrantedAt, (DateTimeOffset?)null));
        }

        var rosters = harness.Services.GetRequiredService<TeamRosters>();
        Assert.False(await rosters.RequestAsync(harness.OrganizationId, Engineering, "Engineering", "bot-installed", CancellationToken.None));
        Assert.False(await rosters.RequestAsync(Guid.NewGuid(), Engineering, "Engineering", "bot-installed", CancellationToken.None));

        Assert.Empty(await rosters.ReadsOfAsync(harness.OrganizationId));
        Assert.Empty(Jobs(harness).Taken(nameof(TeamRosters.ReadAsync)));
        Assert.Single(await PeopleAsync(harness));
    }

    [Fact]
    public async Task Another_tenants_team_or_an_unknown_team_fails_the_read_and_adds_nobody()
    {
        await using var harness = await StartKnowingOnlyAdminAsync();
        var staffTeam = harness.Sandbox.State.Teams.CreateTeam(DemoSeed.StaffTenantId, "Staff only", null, [(DemoSeed.StaffUserId, true)]);
        var rosters = harness.Services.GetRequiredService<TeamRosters>();

        await rosters.RequestAsync(harness.OrganizationId, staffTeam.Id, "Staff only", "team-install", CancellationToken.None);
        await rosters.RequestAsync(harness.OrganizationId, Guid.NewGuid(), "Gone", "team-install", CancellationToken.None);
        await RunQueuedReadsAsync(harness);

        var reads = await rosters.ReadsOfAsync(harness.OrganizationId);
        Assert.Equal(2, reads.Count);
        Assert.All(reads, r => Assert.Equal(RosterReadState.Failed, r.State));
        Assert.All(reads, r => Assert.Contains("404", r.LastError, StringComparison.Ordinal));
        Assert.Single(await PeopleAsync(harness));
        Assert.Empty(await AuditAsync(harness, "user.found-in-team"));
    }

    [Fact]
    public async Task A_withdrawn_permission_fails_the_read_with_403_and_adds_nobody()
    {
        await using var harness = await StartKnowingOnlyAdminAsync();
        harness.Sandbox.State.RevokeGrant(Contoso, ReachabilityHarness.MainClientId);
        harness.Sandbox.State.GrantAdminConsent(Contoso, ReachabilityHarness.MainClientId, GlobalPermissions.Names.Where(p => p != "TeamMember.Read.All"), []);
        var rosters = harness.Services.GetRequiredService<TeamRosters>();

        await rosters.RequestAsync(harness.OrganizationId, Engineering, "Engineering", "bot-installed", CancellationToken.None);
        await RunQueuedReadsAsync(harness);

        var read = Assert.Single(await rosters.ReadsOfAsync(harness.OrganizationId));
        Assert.Equal(RosterReadState.Failed, read.State);
        Assert.Contains("403", read.LastError, StringComparison.Ordinal);
        Assert.Single(await PeopleAsync(harness));
    }

    [Fact]
    public async Task Repeated_requests_for_the_same_arrival_read_once()
    {
        await using var harness = await StartKnowingOnlyAdminAsync();
        var rosters = harness.Services.GetRequiredService<TeamRosters>();

        // The bot's event and the automatic install report the same arrival, even at the same moment.
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => rosters.RequestAsync(harness.OrganizationId, Engineering, "Engineering", "bot-installed", CancellationToken.None)));
        var queued = Jobs(harness).Taken(nameof(TeamRosters.ReadAsync));
        Assert.NotEmpty(queued);
        // Every queued job runs twice at once (as a job delivered again would): only one reads.
        await Task.WhenAll(queued.Concat(queued).Select(j => rosters.ReadAsync((Guid)j.Args[0], CancellationToken.None)));
        Assert.True(await rosters.RequestAsync(harness.OrganizationId, Engineering, "Engineering", "automatic-install", CancellationToken.None));

        Assert.Empty(Jobs(harness).Taken(nameof(TeamRosters.ReadAsync))); // just read: not again
        var read = Assert.Single(await rosters.ReadsOfAsync(harness.OrganizationId));
        Assert.Equal((1, 7), (read.GraphRequests, read.PeopleAdded));
        Assert.Equal(7, (await AuditAsync(harness, "user.found-in-team")).Count);
        Assert.Equal(8, (await PeopleAsync(harness)).Count);
    }

    [Fact]
    public async Task A_read_another_worker_holds_is_left_alone()
    {
        await using var harness = await StartKnowingOnlyAdminAsync();
        var rosters = harness.Services.GetRequiredService<TeamRosters>();
        await rosters.RequestAsync(harness.OrganizationId, Engineering, "Engineering", "bot-installed", CancellationToken.None);
        var readId = (Guid)Assert.Single(Jobs(harness).Taken(nameof(TeamRosters.ReadAsync))).Args[0];
        await using (var db = await harness.DbAsync())
        {
            await db.TeamRosterReads.ExecuteUpdateAsync(s => s
                .SetProperty(r => r.State, RosterReadState.Reading).SetProperty(r => r.LeaseOwner, "worker-b")
                .SetProperty(r => r.LeaseUntil, DateTimeOffset.UtcNow.AddMinutes(1)));
        }

        await rosters.ReadAsync(readId, CancellationToken.None);
        await rosters.ResumeStalledAsync(CancellationToken.None);

        var read = Assert.Single(await rosters.ReadsOfAsync(harness.OrganizationId));
        Assert.Equal((RosterReadState.Reading, "worker-b", 0), (read.State, read.LeaseOwner, read.GraphRequests));
        Assert.Empty(Jobs(harness).Taken(nameof(TeamRosters.ReadAsync)));
        Assert.Single(await PeopleAsync(harness));
    }

    [Fact]
    public async Task A_read_whose_worker_stopped_goes_on_from_its_page_and_adds_nobody_twice()
    {
        await using var harness = await StartKnowingOnlyAdminAsync(generatedUsers: 2_100);
        var everyone = harness.Sandbox.State.Users(Contoso).Select(u => u.Id).ToList();
        var big = harness.Sandbox.State.Teams.CreateTeam(Contoso, "Everyone", null, everyone.Select((id, i) => (id, i == 0)));
        var catalogId = harness.Sandbox.State.Teams.CatalogApps(Contoso).Single(a => a.ManifestId == harness.TeamsApp.AppId).Id;
        harness.Sandbox.State.Teams.InstallInTeam(Contoso, big.Id, catalogId);
        var rosters = harness.Services.GetRequiredService<TeamRosters>();
        await rosters.RequestAsync(harness.OrganizationId, big.Id, "Everyone", "bot-installed", CancellationToken.None);
        var readId = (Guid)Assert.Single(Jobs(harness).Taken(nameof(TeamRosters.ReadAsync))).Args[0];

        // The first worker stops once its first page is written (as a killed process would, mid-read).
        using (var stop = new CancellationTokenSource())
        {
            var first = rosters.ReadAsync(readId, stop.Token);
            while ((await ReadRowAsync(harness, readId)).PagesRead == 0 && !first.IsCompleted)
            {
                await Task.Delay(10);
            }

            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        }

        var stopped = await ReadRowAsync(harness, readId);
        Assert.Equal(RosterReadState.Reading, stopped.State);
        Assert.InRange(stopped.PagesRead, 1, 2);
        Assert.NotNull(stopped.NextLink);
        // A worker that stops gives the read back, so the next resume goes on at once (a killed one's lease runs out first: RowLeaseTests).
        Assert.Null(stopped.LeaseOwner);
        await rosters.ResumeStalledAsync(CancellationToken.None);
        var resumed = (Guid)Assert.Single(Jobs(harness).Taken(nameof(TeamRosters.ReadAsync))).Args[0];
        await rosters.ReadAsync(resumed, CancellationToken.None);

        var read = await ReadRowAsync(harness, readId);
        Assert.Equal(RosterReadState.Done, read.State);
        Assert.Equal(3, read.PagesRead); // 2,100 + Contoso's people in pages of 999: no page read twice
        Assert.Equal(everyone.Count, read.MembersSeen);
        Assert.Equal(everyone.Count - 1, read.PeopleAdded);
        Assert.Equal(everyone.Count, (await PeopleAsync(harness)).Count);
        Assert.Equal(everyone.Count - 1, (await AuditAsync(harness, "user.found-in-team")).Count);
    }

    [Fact]
    public async Task Granting_the_global_permissions_installs_our_app_for_everyone_known_and_reads_our_bots_teams()
    {
        await using var harness = await StartKnowingOnlyAdminAsync();
        await using (var db = await harness.DbAsync())
        {
            db.BotTeams.Add(new BotTeam
            {
                OrganizationId = harness.OrganizationId, TeamThreadId = "19:engineering@thread.tacv2", GraphTeamId = Engineering, Name = "Engineering",
                ServiceUrl = "https://smba.example/teams/", InstalledAt = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync();
        }

        await harness.Services.GetRequiredService<TeamRosters>().PermissionsGrantedAsync(harness.OrganizationId, CancellationToken.None);

        var adele = await harness.UserAsync("admin@contoso.example");
        Assert.Equal(InstallationState.Pending, adele.AppInstallation.State);
        var install = Assert.Single(Jobs(harness).Taken(nameof(AppInstallationJobs.InstallDueAsync)));
        Assert.Equal(AppInstallationJobs.PermissionsGrantedTrigger, install.Args[1]);
        await harness.Services.GetRequiredService<AppInstallationJobs>().InstallDueAsync(harness.OrganizationId, AppInstallationJobs.PermissionsGrantedTrigger, CancellationToken.None);
        Assert.Equal(InstallationState.Installed, (await harness.UserAsync("admin@contoso.example")).AppInstallation.State);

        var read = Assert.Single(await harness.Services.GetRequiredService<TeamRosters>().ReadsOfAsync(harness.OrganizationId));
        Assert.Equal(("permissions-granted", RosterReadState.Pending), (read.Trigger, read.State));
    }

    [Fact]
    public async Task People_joining_a_bot_team_become_known_and_others_named_in_the_event_do_not()
    {
        await using var harness = await StartKnowingOnlyAdminAsync();
        const string thread = "19:engineering@thread.tacv2";
        await using (var db = await harness.DbAsync())
        {
            db.BotTeams.Add(new BotTeam
            {
                OrganizationId = harness.OrganizationId, TeamThreadId = thread, GraphTeamId = Engineering, Name = "Engineering",
                ServiceUrl = "https://smba.example/teams/", InstalledAt = DateTimeOffset.UtcNow,
            });
            await db.SaveChangesAsync();
        }

        var megan = harness.Sandbox.State.FindUserByUpn("megan.bowen@contoso.example")!.Id;
        var rosters = harness.Services.GetRequiredService<TeamRosters>();
        // Lou is in no team: an event naming him (forged, or stale) adds nobody; an unknown team thread neither.
        await rosters.AddJoinedAsync(harness.OrganizationId, thread, [megan, DemoSeed.NoTeamUser1Id, megan], CancellationToken.None);
        await rosters.AddJoinedAsync(harness.OrganizationId, "19:not-ours@thread.tacv2", [DemoSeed.UserId], CancellationToken.None);
        await rosters.AddJoinedAsync(Guid.NewGuid(), thread, [DemoSeed.UserId], CancellationToken.None);

        var people = await PeopleAsync(harness);
        Assert.Equal(["Adele Admin", "Megan Bowen"], people.Select(p => p.DisplayName).Order());
        Assert.Equal(InstallationState.Pending, people.Single(p => p.DisplayName == "Megan Bowen").AppInstallation.State);
        Assert.Single(Jobs(harness).Taken(nameof(AppInstallationJobs.InstallDueAsync)));
    }

    [Fact]
    public async Task The_sweeps_full_read_makes_members_it_did_not_know_known_and_a_dry_run_does_not()
    {
        await using var harness = await StartKnowingOnlyAdminAsync(settings: new Dictionary<string, string?>
        {
            ["ActiveUsers:QuarantineShare"] = "1",
            ["ActiveUsers:QuarantineCount"] = "100000",
        });
        var catalogId = harness.Sandbox.State.Teams.CatalogApps(Contoso).Single(a => a.ManifestId == harness.TeamsApp.AppId).Id;
        harness.Sandbox.State.Teams.InstallInTeam(Contoso, Engineering, catalogId);
        var sweep = harness.Services.GetRequiredService<ActiveUserSweep>();

        var dry = await sweep.RunAsync(harness.OrganizationId, "staff:test", dryRun: true);
        Assert.Equal(SweepOutcome.DryRun, dry.Outcome);
        Assert.Single(await PeopleAsync(harness));

        var run = await sweep.RunAsync(harness.OrganizationId, "schedule");
        Assert.Equal(SweepOutcome.Applied, run.Outcome);
        Assert.Equal(0, run.Deactivated);
        Assert.Equal(8, (await PeopleAsync(harness)).Count);
        var audit = await AuditAsync(harness, "user.found-in-team");
        Assert.Equal(7, audit.Count);
        Assert.All(audit, a => Assert.Equal(ActiveUserSweep.Actor, a.Actor));
        Assert.Single(Jobs(harness).Taken(nameof(AppInstallationJobs.InstallDueAsync)));
    }

    [Theory]
    [InlineData(DatabaseOptions.Sqlite)]
    [InlineData(DatabaseOptions.Postgres)]
    public async Task The_sweep_marks_the_people_it_knows_as_seen_in_the_bot_team_it_read_them_in(string provider)
    {
        await using var harness = await ReachabilityHarness.StartAsync(provider, settings: new Dictionary<string, string?>
        {
            ["ActiveUsers:QuarantineShare"] = "1",
            ["ActiveUsers:QuarantineCount"] = "100000",
        });
        var catalogId = harness.Sandbox.State.Teams.CatalogApps(Contoso).Single(a => a.ManifestId == harness.TeamsApp.AppId).Id;
        harness.Sandbox.State.Teams.InstallInTeam(Contoso, Engineering, catalogId);
        var engineering = harness.Sandbox.State.Teams.Members(Engineering).Select(m => m.UserId).ToHashSet();
        var teamName = harness.Sandbox.State.Teams.FindTeam(Contoso, Engineering)!.DisplayName;
        var sweep = harness.Services.GetRequiredService<ActiveUserSweep>();

        Assert.Equal(SweepOutcome.Applied, (await sweep.RunAsync(harness.OrganizationId, "schedule")).Outcome);

        var people = await PeopleAsync(harness);
        Assert.Equal(engineering.Count, people.Count(p => engineering.Contains(p.MicrosoftObjectId)));
        Assert.All(people, p => Assert.Equal(engineering.Contains(p.MicrosoftObjectId) ? teamName : null, p.BotTeamName));
        Assert.Empty(await AuditAsync(harness, "user.found-in-team"));

        // Seen there again: nothing to write.
        var again = await sweep.RunAsync(harness.OrganizationId, "schedule");
        Assert.Equal(SweepOutcome.Applied, again.Outcome);
        Assert.Equal(people.Select(p => (p.Id, p.BotTeamName)).Order(), (await PeopleAsync(harness)).Select(p => (p.Id, p.BotTeamName)).Order());
    }

    /// <summary>Contoso in the Sandbox, and in our database only Adele (who set it up).</summary>
    private static async Task<ReachabilityHarness> StartKnowingOnlyAdminAsync(int generatedUsers = 0, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var harness = await ReachabilityHarness.StartAsync(generatedUsers: generatedUsers, settings: settings);
        await using var db = await harness.DbAsync();
        await db.Users.Where(u => u.UserPrincipalName != "admin@contoso.example").ExecuteDeleteAsync();
        return harness;
    }

    private static RecordingJobClient Jobs(ReachabilityHarness harness) => harness.Services.GetRequiredService<RecordingJobClient>();

    private static async Task RunQueuedReadsAsync(ReachabilityHarness harness)
    {
        var rosters = harness.Services.GetRequiredService<TeamRosters>();
        foreach (var job in Jobs(harness).Taken(nameof(TeamRosters.ReadAsync)))
        {
            await rosters.ReadAsync((Guid)job.Args[0], CancellationToken.None);
        }
    }

    private static async Task<TeamRosterRead> ReadRowAsync(ReachabilityHarness harness, Guid readId)
    {
        await using var db = await harness.DbAsync();
        return await db.TeamRosterReads.AsNoTracking().SingleAsync(r => r.Id == readId);
    }

    private static async Task<List<User>> PeopleAsync(ReachabilityHarness harness)
    {
        await using var db = await harness.DbAsync();
        return await db.Users.AsNoTracking().Where(u => u.OrganizationId == harness.OrganizationId).ToListAsync();
    }

    private static async Task<List<AuditLogEntry>> AuditAsync(ReachabilityHarness harness, string action)
    {
        await using var db = await harness.DbAsync();
        return await db.AuditLog.AsNoTracking().Where(a => a.Action == action).ToListAsync();
    }
}
