using IncidentIo.Domain.ActiveUsers;
using IncidentIo.Domain.Bot;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.Setup;
using IncidentIo.Domain.Tests.Reachability;
using IncidentIo.Domain.Tests.TeamsApp;
using IncidentIo.Domain.Users;
using IncidentIo.Sandbox.Faults;
using IncidentIo.Sandbox.State;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace IncidentIo.Domain.Tests.ActiveUsers;

/// <summary>The active-user sweep against the Sandbox: who is deactivated and restored, and when nobody may be.</summary>
public sealed class ActiveUserSweepTests(ITestOutputHelper output)
{
    private static readonly Guid Contoso = ReachabilityHarness.Contoso;

    private static readonly Dictionary<string, string?> NoQuarantine = new()
    {
        ["ActiveUsers:QuarantineShare"] = "1",
        ["ActiveUsers:QuarantineCount"] = "100000",
        ["ActiveUsers:MaxAttempts"] = "3",
        ["ActiveUsers:FirstBackoff"] = "00:00:00.020",
    };

    [Fact]
    public async Task A_user_removed_from_the_only_bot_team_is_deactivated_keeping_their_role_and_restored_when_added_back()
    {
        await using var harness = await ReachabilityHarness.StartAsync(settings: NoQuarantine);
        var botTeam = BotTeamWith(harness, DemoSeed.AdminId, DemoSeed.UserId);
        await SetRoleAsync(harness, "user@contoso.example", UserRole.Responder);
        Assert.Equal(SweepOutcome.Applied, (await RunAsync(harness)).Outcome);

        harness.Sandbox.State.Teams.RemoveMember(botTeam, DemoSeed.UserId);
        var run = await RunAsync(harness);

        Assert.Equal(SweepOutcome.Applied, run.Outcome);
        Assert.Equal(1, run.Deactivated);
        var gone = await harness.UserAsync("user@contoso.example");
        Assert.False(gone.IsActive);
        Assert.Equal(UserRole.Viewer, gone.Role);
        Assert.Equal(UserRole.Responder, gone.RoleBeforeDeactivation);
        Assert.Contains("Incident bot team", gone.DeactivationReason, StringComparison.Ordinal);
        Assert.Contains("add them to a team where IncidentIo is installed", gone.DeactivationReason, StringComparison.Ordinal);

        harness.Sandbox.State.Teams.AddMember(botTeam, DemoSeed.UserId);
        var back = await RunAsync(harness);

        Assert.Equal(1, back.Reactivated);
        var restored = await harness.UserAsync("user@contoso.example");
        Assert.True(restored.IsActive);
        Assert.Equal(UserRole.Responder, restored.Role);
        Assert.True((await harness.UserAsync("admin@contoso.example")).IsActive);
    }

    [Theory]
    [MemberData(nameof(CatalogDistributions.All), MemberType = typeof(CatalogDistributions))]
    public async Task The_members_of_a_team_with_our_app_count_whether_it_came_from_the_store_the_tenants_own_catalog_or_both(string distribution)
    {
        await using var harness = await ReachabilityHarness.StartAsync(settings: NoQuarantine, distribution: distribution);
        var botTeam = BotTeamWith(harness, DemoSeed.AdminId, DemoSeed.UserId);

        var first = await RunAsync(harness);
        harness.Sandbox.State.Teams.RemoveMember(botTeam, DemoSeed.UserId);
        var second = await RunAsync(harness);

        Assert.Equal(SweepOutcome.Applied, first.Outcome);
        Assert.Equal(1, first.TeamsRead);
        Assert.Equal(SweepOutcome.Applied, second.Outcome);
        Assert.Equal(1, second.Deactivated);
        Assert.True((await harness.UserAsync("admin@contoso.example")).IsActive);
        Assert.False((await harness.UserAsync("user@contoso.example")).IsActive);
    }

    [Fact]
    public async Task Our_app_missing_from_the_catalog_makes_the_run_inconclusive_and_deactivates_nobody()
    {
        await using var harness = await ReachabilityHarness.StartAsync(settings: NoQuarantine, publishApp: false);
        var activeBefore = await ActiveCountAsync(harness);

        var run = await RunAsync(harness);

        Assert.Equal(SweepOutcome.Inconclusive, run.Outcome);
        Assert.Contains("not in the organisation's Teams app catalog", run.Reason, StringComparison.Ordinal);
        Assert.Equal(activeBefore, await ActiveCountAsync(harness));
    }

    [Fact]
    public async Task The_last_active_owner_in_no_bot_team_is_kept_and_the_run_says_why_and_what_to_do()
    {
        await using var harness = await ReachabilityHarness.StartAsync(settings: NoQuarantine);
        var botTeam = BotTeamWith(harness, DemoSeed.AdminId, DemoSeed.UserId);
        await SetRoleAsync(harness, "user@contoso.example", UserRole.Owner);
        await SetRoleAsync(harness, "admin@contoso.example", UserRole.Admin);
        Assert.Equal(SweepOutcome.Applied, (await RunAsync(harness)).Outcome);

        harness.Sandbox.State.Teams.RemoveMember(botTeam, DemoSeed.UserId);
        var run = await RunAsync(harness);

        Assert.Equal(SweepOutcome.Applied, run.Outcome);
        var owner = await harness.UserAsync("user@contoso.example");
        Assert.True(owner.IsActive);
        Assert.Equal(UserRole.Owner, owner.Role);
        Assert.Contains("last active Owner", run.KeptOwnerNote, StringComparison.Ordinal);
        Assert.Contains("Add them to a team where IncidentIo is installed", run.KeptOwnerNote, StringComparison.Ordinal);
        await using var db = await harness.DbAsync();
        Assert.Equal(1, await db.AuditLog.CountAsync(a => a.Action == "user.kept-as-last-owner"));
    }

    [Fact]
    public async Task Someone_who_only_chats_with_our_bot_is_told_why_that_does_not_keep_them_active()
    {
        await using var harness = await ReachabilityHarness.StartAsync(settings: NoQuarantine);
        BotTeamWith(harness, DemoSeed.AdminId);
        await using (var db = await harness.DbAsync())
        {
            var lou = await db.Users.SingleAsync(u => u.UserPrincipalName == "loner1@contoso.example");
            lou.BotConversationId = "a:personal-chat-with-our-bot";
            await db.SaveChangesAsync();
        }

        Assert.Equal(SweepOutcome.Applied, (await RunAsync(harness)).Outcome);

        var lou1 = await harness.UserAsync("loner1@contoso.example");
        Assert.False(lou1.IsActive);
        Assert.Contains("personal chat with our bot", lou1.DeactivationReason, StringComparison.Ordinal);
        Assert.DoesNotContain("personal chat", (await harness.UserAsync("loner2@contoso.example")).DeactivationReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Members_read_failing_with_5xx_until_retries_run_out_is_inconclusive_and_deactivates_nobody()
    {
        await using var harness = await ReachabilityHarness.StartAsync(settings: NoQuarantine);
        BotTeamWith(harness, DemoSeed.AdminId);
        var activeBefore = await ActiveCountAsync(harness);
        harness.Sandbox.Faults.SetTenant(Contoso, new FaultSettings { ErrorRate = 1, ErrorStatuses = [503], RetryAfterSeconds = 0 });

        var run = await RunAsync(harness);

        Assert.Equal(SweepOutcome.Inconclusive, run.Outcome);
        Assert.Contains("503", run.Reason, StringComparison.Ordinal);
        Assert.Contains("Nobody was deactivated", run.Reason, StringComparison.Ordinal);
        Assert.Equal(activeBefore, await ActiveCountAsync(harness));
    }

    [Fact]
    public async Task A_403_on_a_teams_members_is_inconclusive_and_names_the_team()
    {
        await using var harness = await ReachabilityHarness.StartAsync(settings: NoQuarantine);
        BotTeamWith(harness, DemoSeed.AdminId);
        var activeBefore = await ActiveCountAsync(harness);
        // The permission to read members is withdrawn (as when the bot is removed mid-run).
        harness.Sandbox.State.RevokeGrant(Contoso, ReachabilityHarness.MainClientId);
        harness.Sandbox.State.GrantAdminConsent(Contoso, ReachabilityHarness.MainClientId, GlobalPermissions.Names.Where(p => p != "TeamMember.Read.All"), []);

        var run = await RunAsync(harness);

        Assert.Equal(SweepOutcome.Inconclusive, run.Outcome);
        Assert.Contains("\"Incident bot team\"", run.Reason, StringComparison.Ordinal);
        Assert.Contains("403", run.Reason, StringComparison.Ordinal);
        Assert.Equal(activeBefore, await ActiveCountAsync(harness));
    }

    [Fact]
    public async Task A_mass_removal_is_quarantined_then_allowed_or_rejected()
    {
        await using var harness = await ReachabilityHarness.StartAsync(settings: new Dictionary<string, string?>
        {
            ["ActiveUsers:QuarantineShare"] = "0.2",
            ["ActiveUsers:QuarantineCount"] = "2",
        });
        var everyone = harness.Sandbox.State.Users(Contoso).Select(u => u.Id).ToArray();
        var botTeam = BotTeamWith(harness, everyone);
        Assert.Equal(SweepOutcome.Applied, (await RunAsync(harness)).Outcome);
        var removed = everyone.Skip(1).Take(everyone.Length / 2).ToList();
        foreach (var id in removed)
        {
            harness.Sandbox.State.Teams.RemoveMember(botTeam, id);
        }

        var quarantined = await RunAsync(harness);
        Assert.Equal(SweepOutcome.Quarantined, quarantined.Outcome);
        Assert.Contains($"would deactivate {removed.Count} of {everyone.Length}", quarantined.Reason, StringComparison.Ordinal);
        Assert.Equal(everyone.Length, await ActiveCountAsync(harness));

        var sweep = harness.Services.GetRequiredService<ActiveUserSweep>();
        var rejected = await sweep.ReviewAsync(harness.OrganizationId, quarantined.Id, allow: false, "user:admin@contoso.example");
        Assert.Equal(SweepOutcome.Rejected, rejected!.Outcome);
        Assert.Equal(everyone.Length, await ActiveCountAsync(harness));
        Assert.Null(await sweep.ReviewAsync(harness.OrganizationId, quarantined.Id, allow: true, "user:admin@contoso.example"));

        var again = await RunAsync(harness);
        Assert.Equal(SweepOutcome.Quarantined, again.Outcome);
        Assert.Null(await sweep.ReviewAsync(Guid.NewGuid(), again.Id, allow: true, "someone else's admin"));
        var allowed = await sweep.ReviewAsync(harness.OrganizationId, again.Id, allow: true, "staff:staff@incidentio.example");

        Assert.Equal(SweepOutcome.Allowed, allowed!.Outcome);
        Assert.Equal(removed.Count, allowed.Deactivated);
        Assert.Equal(everyone.Length - removed.Count, await ActiveCountAsync(harness));
    }

    [Fact]
    public async Task With_our_bot_in_no_team_nobody_is_deactivated()
    {
        await using var harness = await ReachabilityHarness.StartAsync(settings: NoQuarantine);
        var activeBefore = await ActiveCountAsync(harness);

        var run = await RunAsync(harness);

        Assert.Equal(SweepOutcome.Inconclusive, run.Outcome);
        Assert.Contains("installed in no team", run.Reason, StringComparison.Ordinal);
        Assert.Equal(activeBefore, await ActiveCountAsync(harness));
    }

    [Fact]
    public async Task A_dry_run_says_what_would_change_and_changes_nothing()
    {
        await using var harness = await ReachabilityHarness.StartAsync(settings: NoQuarantine);
        BotTeamWith(harness, DemoSeed.AdminId);
        var activeBefore = await ActiveCountAsync(harness);

        var run = await harness.Services.GetRequiredService<ActiveUserSweep>().RunAsync(harness.OrganizationId, "dry-run", dryRun: true);

        Assert.Equal(SweepOutcome.DryRun, run.Outcome);
        Assert.Equal(activeBefore - 1, run.Deactivated);
        Assert.Equal(activeBefore - 1, ProposedChange.Parse(run.ProposedChanges).Deactivate.Count);
        Assert.Equal(activeBefore, await ActiveCountAsync(harness));
    }

    [Fact]
    public async Task A_run_stopped_mid_read_changes_nothing_and_says_so()
    {
        await using var harness = await ReachabilityHarness.StartAsync(settings: NoQuarantine);
        BotTeamWith(harness, DemoSeed.AdminId);
        var activeBefore = await ActiveCountAsync(harness);
        harness.Sandbox.Faults.SetTenant(Contoso, new FaultSettings { LatencyMs = 300 });
        using var stop = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            harness.Services.GetRequiredService<ActiveUserSweep>().RunAsync(harness.OrganizationId, "schedule", cancellationToken: stop.Token));

        await using var db = await harness.DbAsync();
        var run = await db.SweepRuns.SingleAsync();
        Assert.Equal(SweepOutcome.Abandoned, run.Outcome);
        Assert.Equal(activeBefore, await ActiveCountAsync(harness));
    }

    [Fact]
    public async Task Allow_and_reject_clicked_at_once_decide_once()
    {
        await using var harness = await ReachabilityHarness.StartAsync(DatabaseOptions.Postgres, settings: new Dictionary<string, string?>
        {
            ["ActiveUsers:QuarantineShare"] = "0.2",
            ["ActiveUsers:QuarantineCount"] = "2",
        });
        BotTeamWith(harness, DemoSeed.AdminId);
        var activeBefore = await ActiveCountAsync(harness);
        var quarantined = await RunAsync(harness);
        Assert.Equal(SweepOutcome.Quarantined, quarantined.Outcome);
        await using var other = harness.BuildServices();
        var here = harness.Services.GetRequiredService<ActiveUserSweep>();
        var there = other.GetRequiredService<ActiveUserSweep>();

        var answers = await Task.WhenAll(
            here.ReviewAsync(harness.OrganizationId, quarantined.Id, allow: true, "user:admin@contoso.example"),
            there.ReviewAsync(harness.OrganizationId, quarantined.Id, allow: false, "staff:staff@incidentio.example"));

        var decided = Assert.Single(answers, a => a is not null)!;
        await using var db = await harness.DbAsync();
        Assert.Equal(decided.Outcome, (await db.SweepRuns.SingleAsync()).Outcome);
        Assert.Equal(1, await db.AuditLog.CountAsync(a => a.Action == "sweep.allowed" || a.Action == "sweep.rejected"));
        Assert.Equal(decided.Outcome == SweepOutcome.Allowed ? 1 : activeBefore, await ActiveCountAsync(harness));
    }

    [Fact]
    public async Task Runs_started_at_once_by_several_workers_make_one_run_which_renews_its_hold_while_it_reads()
    {
        await using var harness = await ReachabilityHarness.StartAsync(DatabaseOptions.Postgres, settings: new Dictionary<string, string?>(NoQuarantine)
        {
            ["ActiveUsers:RunLease"] = "00:00:03",
        });
        BotTeamWith(harness, DemoSeed.AdminId);
        // Every Graph call takes 1.5 s: the run outlasts its 3 s lease several times over, so it stays only by renewing.
        harness.Sandbox.Faults.SetTenant(Contoso, new FaultSettings { LatencyMs = 1_500 });
        var workers = Enumerable.Range(0, 4).Select(_ => harness.BuildServices()).ToList();
        try
        {
            var first = await Task.WhenAll(workers.Select(w => w.GetRequiredService<ActiveUserSweep>().RunAsync(harness.OrganizationId, "schedule")));
            var started = first.Where(r => r.Outcome != SweepOutcome.Running).ToList();
            var turnedAway = first.Where(r => r.Outcome == SweepOutcome.Running).ToList();

            var made = Assert.Single(started);
            Assert.Equal(SweepOutcome.Applied, made.Outcome);
            Assert.Equal(3, turnedAway.Count);
            Assert.All(turnedAway, r => Assert.Equal(made.Id, r.Id));
            Assert.Equal(1, await ActiveCountAsync(harness)); // only the bot team's one member stays
            await using var db = await harness.DbAsync();
            var row = await db.SweepRuns.SingleAsync();
            Assert.True(row.FinishedAt - row.StartedAt > TimeSpan.FromSeconds(4), $"the run took {row.FinishedAt - row.StartedAt}, not past its lease");
            Assert.Null(row.LeaseUntil);
            Assert.NotNull(row.RunBy);
        }
        finally
        {
            foreach (var worker in workers)
            {
                await worker.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_run_left_running_by_a_killed_worker_holds_the_organisation_only_until_its_lease_runs_out()
    {
        await using var harness = await ReachabilityHarness.StartAsync(settings: NoQuarantine);
        BotTeamWith(harness, DemoSeed.AdminId);
        var activeBefore = await ActiveCountAsync(harness);
        var killed = new SweepRun
        {
            OrganizationId = harness.OrganizationId,
            RequestedBy = "schedule",
            RunBy = "worker gone:4242",
            StartedAt = DateTimeOffset.UtcNow.AddMinutes(-1),
            LeaseUntil = DateTimeOffset.UtcNow.AddMinutes(1),
        };
        await using (var db = await harness.DbAsync())
        {
            db.SweepRuns.Add(killed);
            await db.SaveChangesAsync();
        }

        var whileHeld = await RunAsync(harness);

        Assert.Equal(killed.Id, whileHeld.Id);
        Assert.Equal(SweepOutcome.Running, whileHeld.Outcome);
        Assert.Equal(activeBefore, await ActiveCountAsync(harness));

        await using (var db = await harness.DbAsync())
        {
            await db.SweepRuns.Where(r => r.Id == killed.Id).ExecuteUpdateAsync(s => s.SetProperty(r => r.LeaseUntil, DateTimeOffset.UtcNow.AddSeconds(-1)));
        }

        var takenOver = await RunAsync(harness);

        Assert.Equal(SweepOutcome.Applied, takenOver.Outcome);
        Assert.Equal(1, await ActiveCountAsync(harness));
        await using (var db = await harness.DbAsync())
        {
            var old = await db.SweepRuns.SingleAsync(r => r.Id == killed.Id);
            Assert.Equal(SweepOutcome.Abandoned, old.Outcome);
            Assert.Contains("stopped renewing", old.Reason, StringComparison.Ordinal);
            Assert.NotNull(old.FinishedAt);
        }
    }

    [Fact]
    public async Task A_run_that_lost_its_hold_to_another_run_stops_and_changes_nothing()
    {
        await using var harness = await ReachabilityHarness.StartAsync(settings: new Dictionary<string, string?>(NoQuarantine)
        {
            ["ActiveUsers:RunLease"] = "00:00:03",
        });
        BotTeamWith(harness, DemoSeed.AdminId);
        var activeBefore = await ActiveCountAsync(harness);
        harness.Sandbox.Faults.SetTenant(Contoso, new FaultSettings { LatencyMs = 1_000 });

        var running = harness.Services.GetRequiredService<ActiveUserSweep>().RunAsync(harness.OrganizationId, "schedule");
        // As a run that found this one's lease expired would (a long pause of this process): marked abandoned.
        await using (var db = await harness.DbAsync())
        {
            var giveUp = DateTime.UtcNow.AddSeconds(10);
            while (!await db.SweepRuns.AnyAsync() && DateTime.UtcNow < giveUp)
            {
                await Task.Delay(20);
            }

            await db.SweepRuns.ExecuteUpdateAsync(s => s.SetProperty(r => r.Outcome, SweepOutcome.Abandoned).SetProperty(r => r.Reason, "taken over"));
        }

        var run = await running;

        Assert.Equal(SweepOutcome.Abandoned, run.Outcome);
        Assert.Equal(activeBefore, await ActiveCountAsync(harness));
        await using (var db = await harness.DbAsync())
        {
            Assert.Equal("taken over", (await db.SweepRuns.SingleAsync()).Reason);
            Assert.Equal(0, await db.AuditLog.CountAsync(a => a.Actor == ActiveUserSweep.Actor));
        }
    }

    /// <summary>
    /// Many random tenants (memberships, bot teams, faults): whatever Graph does, no run ever
    /// deactivates someone who is in a team where our bot is installed.
    /// </summary>
    [Fact]
    public async Task Across_random_tenants_and_faults_nobody_in_a_bot_team_is_ever_deactivated()
    {
        await using var harness = await ReachabilityHarness.StartAsync(settings: NoQuarantine, generatedUsers: 60);
        var users = harness.Sandbox.State.Users(Contoso).Select(u => u.Id).ToArray();
        var catalogId = harness.Sandbox.State.Teams.CatalogApps(Contoso).Single(a => a.ManifestId == harness.TeamsApp.AppId).Id;
        var random = new Random(20261127);
        var outcomes = new Dictionary<SweepOutcome, int>();
        var falseDeactivations = 0;
        for (var round = 0; round < 12; round++)
        {
            var teams = Enumerable.Range(0, random.Next(1, 6)).Select(i =>
                harness.Sandbox.State.Teams.CreateTeam(Contoso, $"Round {round} team {i}", null, users.Where(_ => random.NextDouble() < 0.3).Select(u => (u, false)))).ToList();
            var botTeams = teams.Where(_ => random.NextDouble() < 0.6).ToList();
            foreach (var team in botTeams)
            {
                harness.Sandbox.State.Teams.InstallInTeam(Contoso, team.Id, catalogId);
            }

            // 500 and 502 only: 429, 503 and 504 are throttling, waited out and slowing the whole tenant
            // down (seconds per round here), which PacedGraphCallsTests cover; what they do to a run's
            // outcome is the same as any failed call's.
            harness.Sandbox.Faults.SetTenant(Contoso, new FaultSettings { ErrorRate = random.NextDouble() * 0.4, ErrorStatuses = [500, 502], RetryAfterSeconds = 0 });
            var inBotTeams = AllBotTeamMembers(harness, catalogId);
            var activeBefore = await ActiveObjectIdsAsync(harness);

            var run = await RunAsync(harness);

            var deactivatedNow = activeBefore.Except(await ActiveObjectIdsAsync(harness)).ToList();
            falseDeactivations += deactivatedNow.Count(inBotTeams.Contains);
            outcomes[run.Outcome] = outcomes.GetValueOrDefault(run.Outcome) + 1;

            foreach (var team in botTeams)
            {
                var installation = harness.Sandbox.State.Teams.Installations(InstallationScope.Team, team.Id).Single(i => i.TeamsAppId == catalogId);
                harness.Sandbox.State.Teams.Uninstall(InstallationScope.Team, team.Id, installation.Id);
            }
        }

        output.WriteLine($"outcomes: {string.Join(", ", outcomes.Select(o => $"{o.Key} {o.Value}"))}; false deactivations: {falseDeactivations}");
        Assert.Equal(0, falseDeactivations);
        Assert.True(outcomes.GetValueOrDefault(SweepOutcome.Applied) > 0, "some runs got through the faults");
    }

    [Fact]
    public async Task With_bot_team_rows_only_those_teams_are_checked_and_read_not_every_team_in_the_tenant()
    {
        await using var harness = await ReachabilityHarness.StartAsync(settings: NoQuarantine, generatedUsers: 200);
        var everyone = harness.Sandbox.State.Users(Contoso).Select(u => u.Id).ToArray();
        var botTeam = BotTeamWith(harness, everyone);
        await RecordBotTeamAsync(harness, botTeam);
        var otherTeams = harness.Sandbox.State.Teams.Teams(Contoso).Count - 1;

        var run = await RunAsync(harness);

        Assert.Equal(SweepOutcome.Applied, run.Outcome);
        Assert.Equal(1, run.TeamsRead);
        Assert.True(otherTeams >= 10, $"{otherTeams} other teams");
        // One $batch confirming our app, one page of members: nobody leaves, so no joinedTeams check.
        // Our app's catalog entry (by id, then by externalId; remembered afterwards), then the bot team's apps and members.
        Assert.Equal(4, run.GraphRequests);
    }

    [Fact]
    public async Task A_recorded_team_our_app_was_removed_from_stops_counting_even_when_the_removal_event_was_missed()
    {
        await using var harness = await ReachabilityHarness.StartAsync(settings: NoQuarantine);
        var keeper = BotTeamWith(harness, DemoSeed.AdminId);
        var removed = BotTeamWith(harness, DemoSeed.AdminId, DemoSeed.UserId);
        await RecordBotTeamAsync(harness, keeper);
        await RecordBotTeamAsync(harness, removed);
        Assert.Equal(SweepOutcome.Applied, (await RunAsync(harness)).Outcome);
        Assert.True((await harness.UserAsync("user@contoso.example")).IsActive);

        UninstallOurApp(harness, removed); // no event reaches us: the row still says installed
        var run = await RunAsync(harness);

        Assert.Equal(SweepOutcome.Applied, run.Outcome);
        Assert.Equal(1, run.TeamsRead);
        Assert.False((await harness.UserAsync("user@contoso.example")).IsActive);
        Assert.True((await harness.UserAsync("admin@contoso.example")).IsActive);
    }

    [Fact]
    public async Task A_team_with_our_app_but_no_row_still_keeps_its_members_when_the_install_event_was_missed()
    {
        await using var harness = await ReachabilityHarness.StartAsync(settings: NoQuarantine);
        var recorded = BotTeamWith(harness, DemoSeed.AdminId);
        await RecordBotTeamAsync(harness, recorded);
        BotTeamWith(harness, DemoSeed.UserId, DemoSeed.NoTeamUser1Id); // installed, but we never heard of it
        var plainTeam = harness.Sandbox.State.Teams.CreateTeam(Contoso, "No bot here", null, [(DemoSeed.NoTeamUser2Id, true)]);

        var run = await RunAsync(harness);

        Assert.Equal(SweepOutcome.Applied, run.Outcome);
        Assert.Equal(2, run.TeamsRead);
        Assert.True((await harness.UserAsync("user@contoso.example")).IsActive);
        Assert.True((await harness.UserAsync("loner1@contoso.example")).IsActive);
        Assert.False((await harness.UserAsync("loner2@contoso.example")).IsActive, $"{plainTeam.DisplayName} has no bot");
        Assert.False((await harness.UserAsync("newcomer@contoso.example")).IsActive);
    }

    [Fact]
    public async Task When_the_teams_of_users_about_to_leave_cannot_be_read_nobody_is_deactivated()
    {
        await using var harness = await ReachabilityHarness.StartAsync(settings: NoQuarantine);
        var recorded = BotTeamWith(harness, DemoSeed.AdminId);
        await RecordBotTeamAsync(harness, recorded);
        var activeBefore = await ActiveCountAsync(harness);
        harness.Sandbox.Faults.SetUser(DemoSeed.UserId, new FaultSettings { ErrorRate = 1, ErrorStatuses = [503], RetryAfterSeconds = 0 });

        var run = await RunAsync(harness);

        Assert.Equal(SweepOutcome.Inconclusive, run.Outcome);
        Assert.Contains("who would be deactivated could not be read", run.Reason, StringComparison.Ordinal);
        Assert.Contains("503", run.Reason, StringComparison.Ordinal);
        Assert.Equal(activeBefore, await ActiveCountAsync(harness));
    }

    [Fact]
    public async Task Batched_checks_wait_out_429s_and_keep_their_members()
    {
        await using var harness = await ReachabilityHarness.StartAsync(settings: NoQuarantine);
        var recorded = BotTeamWith(harness, DemoSeed.AdminId, DemoSeed.UserId);
        await RecordBotTeamAsync(harness, recorded);
        harness.Sandbox.Faults.SetTenant(Contoso, new FaultSettings { StormUntil = DateTimeOffset.UtcNow.AddSeconds(1.5) });

        var stormed = await RunAsync(harness);

        Assert.Equal(SweepOutcome.Applied, stormed.Outcome);
        Assert.True(stormed.GraphRequests > 3, $"{stormed.GraphRequests} requests: the 429s were retried");
        Assert.True((await harness.UserAsync("user@contoso.example")).IsActive);
    }

    [Fact]
    public async Task A_403_on_checking_a_recorded_team_for_our_app_is_inconclusive_and_names_the_team()
    {
        await using var harness = await ReachabilityHarness.StartAsync(settings: NoQuarantine);
        var recorded = BotTeamWith(harness, DemoSeed.AdminId);
        await RecordBotTeamAsync(harness, recorded);
        harness.Sandbox.State.RevokeGrant(Contoso, ReachabilityHarness.MainClientId);
        harness.Sandbox.State.GrantAdminConsent(Contoso, ReachabilityHarness.MainClientId, GlobalPermissions.Names.Where(p => p != "TeamsAppInstallation.ReadForTeam.All"), []);
        var activeBefore = await ActiveCountAsync(harness);

        var forbidden = await RunAsync(harness);

        Assert.Equal(SweepOutcome.Inconclusive, forbidden.Outcome);
        Assert.Contains("whether our bot is in \"Incident bot team\"", forbidden.Reason, StringComparison.Ordinal);
        Assert.Contains("403", forbidden.Reason, StringComparison.Ordinal);
        Assert.Equal(activeBefore, await ActiveCountAsync(harness));
    }

    private static async Task RecordBotTeamAsync(ReachabilityHarness harness, Guid teamId)
    {
        await using var db = await harness.DbAsync();
        db.BotTeams.Add(new BotTeam
        {
            OrganizationId = harness.OrganizationId,
            TeamThreadId = $"19:{teamId:N}@thread.tacv2",
            GraphTeamId = teamId,
            Name = "Incident bot team",
            ServiceUrl = "https://smba.trafficmanager.net/emea/",
            InstalledAt = DateTimeOffset.UtcNow,
            UpdatedAt = DateTimeOffset.UtcNow,
        });
        await db.SaveChangesAsync();
    }

    private static void UninstallOurApp(ReachabilityHarness harness, Guid teamId)
    {
        var catalogId = harness.Sandbox.State.Teams.CatalogApps(Contoso).Single(a => a.ManifestId == harness.TeamsApp.AppId).Id;
        var installation = harness.Sandbox.State.Teams.Installations(InstallationScope.Team, teamId).Single(i => i.TeamsAppId == catalogId);
        harness.Sandbox.State.Teams.Uninstall(InstallationScope.Team, teamId, installation.Id);
    }

    private static HashSet<Guid> AllBotTeamMembers(ReachabilityHarness harness, Guid catalogId) =>
        [.. harness.Sandbox.State.Teams.Teams(Contoso)
            .Where(t => harness.Sandbox.State.Teams.Installations(InstallationScope.Team, t.Id).Any(i => i.TeamsAppId == catalogId))
            .SelectMany(t => harness.Sandbox.State.Teams.Members(t.Id).Select(m => m.UserId))];

    private static Guid BotTeamWith(ReachabilityHarness harness, params Guid[] members)
    {
        var team = harness.Sandbox.State.Teams.CreateTeam(Contoso, "Incident bot team", null, members.Select(m => (m, false)));
        // From the Store's entry when the tenant has one: with both, an install from the entry we did not choose must count too.
        var catalogId = harness.Sandbox.State.Teams.CatalogApps(Contoso).Where(a => a.ManifestId == harness.TeamsApp.AppId)
            .OrderBy(a => a.DistributionMethod == TeamsAppDistribution.Store ? 0 : 1).First().Id;
        harness.Sandbox.State.Teams.InstallInTeam(Contoso, team.Id, catalogId);
        return team.Id;
    }

    private static Task<SweepRun> RunAsync(ReachabilityHarness harness) =>
        harness.Services.GetRequiredService<ActiveUserSweep>().RunAsync(harness.OrganizationId, "schedule");

    private static async Task SetRoleAsync(ReachabilityHarness harness, string upn, UserRole role)
    {
        await using var db = await harness.DbAsync();
        await db.Users.Where(u => u.UserPrincipalName == upn).ExecuteUpdateAsync(s => s.SetProperty(u => u.Role, role));
    }

    private static async Task<int> ActiveCountAsync(ReachabilityHarness harness)
    {
        await using var db = await harness.DbAsync();
        return await db.Users.CountAsync(u => u.IsActive);
    }

    private static async Task<HashSet<Guid>> ActiveObjectIdsAsync(ReachabilityHarness harness)
    {
        await using var db = await harness.DbAsync();
        return [.. await db.Users.Where(u => u.IsActive).Select(u => u.MicrosoftObjectId).ToListAsync()];
    }
}
