using IncidentIo.Domain.ActiveUsers;

namespace IncidentIo.Domain.Tests.ActiveUsers;

/// <summary>The sweep's decisions on their own: who leaves, who comes back, when a run may act, which Owner stays.</summary>
public sealed class SweepDecisionTests
{
    private static readonly SweepPerson Ann = Person(active: true);
    private static readonly SweepPerson Bob = Person(active: true);
    private static readonly SweepPerson Cat = Person(active: false);
    private static readonly SweepPerson Dan = Person(active: false);

    [Fact]
    public void Active_people_in_no_bot_team_leave_and_inactive_people_back_in_one_return()
    {
        var changes = SweepDecision.Changes([Ann, Bob, Cat, Dan], Members(Ann, Cat));

        Assert.Equal([Bob.Id], changes.Deactivate);
        Assert.Equal([Bob.ObjectId], changes.DeactivateObjectIds);
        Assert.Equal([Cat.Id], changes.Reactivate);
        Assert.Equal(2, changes.ActiveBefore);
    }

    [Fact]
    public void Someone_read_in_several_bot_teams_is_kept_under_the_first_by_name_whatever_order_the_reads_finish_in()
    {
        var member = new TeamMember(Guid.NewGuid(), "Megan Bowen", "megan@contoso.example");
        string[] teams = ["Sales", "Engineering", "Operations"];
        foreach (var order in new[] { teams, teams.Reverse().ToArray(), ["Operations", "Sales", "Engineering"] })
        {
            var read = new TeamsRead();
            foreach (var team in order)
            {
                read.Saw(member, team);
            }

            Assert.Equal("Engineering", read.Found[member.ObjectId].TeamName);
        }
    }

    [Fact]
    public void Everyone_where_they_belong_changes_nothing()
    {
        var changes = SweepDecision.Changes([Ann, Bob, Cat], Members(Ann, Bob));

        Assert.Empty(changes.Deactivate);
        Assert.Empty(changes.Reactivate);
        Assert.Equal(SweepOutcome.Applied, Judge(changes).Outcome);
    }

    [Fact]
    public void Members_we_do_not_know_yet_change_nobody_here()
    {
        var stranger = Person(active: true);

        var changes = SweepDecision.Changes([Ann], Members(Ann, stranger));

        Assert.Empty(changes.Deactivate);
        Assert.Empty(changes.Reactivate);
        Assert.Equal(1, changes.ActiveBefore);
    }

    [Fact]
    public void Nobody_known_decides_nothing()
    {
        var changes = SweepDecision.Changes([], Members(Ann));

        Assert.Equal((0, 0, 0), (changes.ActiveBefore, changes.Deactivate.Count, changes.Reactivate.Count));
        Assert.Equal(SweepOutcome.Applied, Judge(changes).Outcome);
    }

    [Theory]
    [InlineData("the members of \"Ops\" could not be read completely: Microsoft Graph answered 503, 5 times.")]
    [InlineData("our app is not in the organisation's Teams app catalog")]
    public void An_incomplete_read_deactivates_nobody_and_says_why(string failure)
    {
        var changes = SweepDecision.Changes([Ann, Bob], Members());

        var verdict = SweepDecision.Judge(failure, changes, dryRun: false, quarantineShare: 0.1, quarantineCount: 0);

        Assert.Equal(SweepOutcome.Inconclusive, verdict.Outcome);
        Assert.Equal($"Nobody was deactivated: {failure}", verdict.Reason);
    }

    [Fact]
    public void An_incomplete_read_wins_over_a_dry_run()
    {
        var verdict = SweepDecision.Judge("a team failed", null, dryRun: true, quarantineShare: 0.1, quarantineCount: 0);

        Assert.Equal(SweepOutcome.Inconclusive, verdict.Outcome);
    }

    [Fact]
    public void A_very_long_failure_is_clipped_in_the_reason()
    {
        var verdict = SweepDecision.Judge(new string('x', 10_000), null, dryRun: false, quarantineShare: 0.1, quarantineCount: 0);

        Assert.Equal(SweepOutcome.Inconclusive, verdict.Outcome);
        Assert.InRange(verdict.Reason!.Length, 100, 4000);
    }

    [Fact]
    public void Our_app_in_no_team_deactivates_nobody()
    {
        var verdict = SweepDecision.Judge(null, null, dryRun: false, quarantineShare: 0.1, quarantineCount: 0);

        Assert.Equal(SweepOutcome.Inconclusive, verdict.Outcome);
        Assert.Contains("installed in no team", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dry_run_only_proposes_even_a_mass_removal()
    {
        var changes = SweepDecision.Changes([Ann, Bob], Members());

        var verdict = SweepDecision.Judge(null, changes, dryRun: true, quarantineShare: 0.1, quarantineCount: 0);

        Assert.Equal(SweepOutcome.DryRun, verdict.Outcome);
    }

    [Theory]
    // deactivating, active before, share, count, waits for review
    [InlineData(11, 100, 0.1, 10, true)]
    [InlineData(10, 100, 0.1, 10, false)]   // not more than the count
    [InlineData(11, 110, 0.1, 10, false)]   // not more than the share
    [InlineData(12, 110, 0.1, 10, true)]
    [InlineData(1, 1, 0.1, 0, true)]        // the only active user leaving
    [InlineData(1, 1, 1.0, 0, false)]       // a share of 100% never waits
    [InlineData(500, 1000, 0.5, 10, false)]
    [InlineData(501, 1000, 0.5, 10, true)]
    public void Too_many_leaving_waits_for_review(int leaving, int activeBefore, double share, int count, bool waits)
    {
        var changes = new SweepChanges(activeBefore, [.. Enumerable.Range(0, leaving).Select(_ => Guid.NewGuid())], [], []);

        var verdict = SweepDecision.Judge(null, changes, dryRun: false, share, count);

        Assert.Equal(waits ? SweepOutcome.Quarantined : SweepOutcome.Applied, verdict.Outcome);
        Assert.Equal(waits, SweepDecision.IsMassRemoval(changes, share, count));
        if (waits)
        {
            Assert.Contains($"deactivate {leaving} of {activeBefore} active users", verdict.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_last_active_owner_leaving_is_kept_the_oldest_when_every_owner_leaves()
    {
        var oldest = new Owner(Guid.NewGuid());
        var newer = new Owner(Guid.NewGuid());

        Assert.Same(oldest, SweepDecision.OwnerToKeep([oldest, newer], o => o.Id, [newer.Id, oldest.Id, Ann.Id]));
    }

    [Fact]
    public void No_owner_is_kept_while_another_active_owner_stays()
    {
        var leaving = Guid.NewGuid();
        var staying = Guid.NewGuid();

        Assert.Null(SweepDecision.OwnerToKeep([new Owner(leaving), new Owner(staying)], o => o.Id, [leaving]));
    }

    [Fact]
    public void No_owner_is_kept_when_there_is_none_or_none_leaves()
    {
        Assert.Null(SweepDecision.OwnerToKeep(Array.Empty<Owner>(), o => o.Id, [Ann.Id]));
        Assert.Null(SweepDecision.OwnerToKeep([new Owner(Ann.Id)], o => o.Id, []));
    }

    [Fact]
    public void The_only_owner_leaving_is_kept()
    {
        var owner = new Owner(Bob.Id);

        Assert.Same(owner, SweepDecision.OwnerToKeep([owner], o => o.Id, SweepDecision.Changes([Ann, Bob], Members(Ann)).Deactivate));
    }

    [Fact]
    public void Proposed_changes_read_back_as_they_were_written_and_garbage_lines_are_skipped()
    {
        var changes = SweepDecision.Changes([Ann, Bob, Cat, Dan], Members(Cat, Dan));

        var (deactivate, reactivate) = ProposedChange.Parse(changes.Describe() + "nonsense\ndeactivate not-a-guid\n");

        Assert.Equal(changes.Deactivate, deactivate);
        Assert.Equal(changes.Reactivate, reactivate);
        Assert.Equal((0, 0), (ProposedChange.Parse(null).Deactivate.Count, ProposedChange.Parse("").Reactivate.Count));
    }

    private static SweepVerdict Judge(SweepChanges changes) => SweepDecision.Judge(null, changes, dryRun: false, quarantineShare: 0.1, quarantineCount: 10);

    private static Func<Guid, bool> Members(params SweepPerson[] people)
    {
        var ids = people.Select(p => p.ObjectId).ToHashSet();
        return ids.Contains;
    }

    private static SweepPerson Person(bool active) => new(Guid.NewGuid(), Guid.NewGuid(), active);

    private sealed record Owner(Guid Id);
}
