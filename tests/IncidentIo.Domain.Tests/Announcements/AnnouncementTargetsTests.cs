using IncidentIo.Domain.Announcements;
using IncidentIo.Domain.Bot;
using IncidentIo.Domain.Incidents;

namespace IncidentIo.Domain.Tests.Announcements;

public sealed class AnnouncementTargetsTests
{
    private static readonly Guid Org = Guid.NewGuid();
    private readonly BotTeam ops = Team("Ops");
    private readonly BotTeam security = Team("Security");

    private static BotTeam Team(string name) => new()
    {
        OrganizationId = Org, Name = name, TeamThreadId = $"19:{Guid.NewGuid():N}@thread.tacv2", ServiceUrl = "https://smba.example/teams/",
    };

    private static Incident Incident(IncidentSeverity severity = IncidentSeverity.Sev2, string type = "Default", bool test = false, bool isPrivate = false) => new()
    {
        OrganizationId = Org, Number = 7, Name = "Checkout down", Type = type, Severity = severity, IsTest = test, IsPrivate = isPrivate,
    };

    private static AnnouncementRule Rule(BotTeam team, string? channel = null, Action<AnnouncementRule>? change = null)
    {
        var rule = new AnnouncementRule
        {
            OrganizationId = Org, Name = $"rule {Guid.NewGuid():N}", BotTeamId = team.Id,
            ChannelConversationId = channel ?? team.TeamThreadId, ChannelName = channel is null ? "General" : "Incidents",
        };
        change?.Invoke(rule);
        return rule;
    }

    private IReadOnlyList<ChannelTarget> Targets(Incident incident, IncidentUpdateKind kind, params AnnouncementRule[] rules) =>
        AnnouncementTargets.For(incident, kind, rules, [ops, security]);

    [Fact]
    public void A_matching_rule_names_its_channel_with_the_teams_connector()
    {
        var target = Assert.Single(Targets(Incident(), IncidentUpdateKind.Declared, Rule(ops)));
        Assert.Equal(ops.TeamThreadId, target.ConversationId);
        Assert.Equal(ops.ServiceUrl, target.ServiceUrl);
        Assert.Equal("Ops › General", target.Name);
    }

    [Fact]
    public void Two_rules_on_one_channel_give_one_target_naming_both_rules()
    {
        var first = Rule(ops, change: r => r.Name = "first");
        var second = Rule(ops, change: r => { r.Name = "second"; r.MinimumSeverity = IncidentSeverity.Sev2; });
        var other = Rule(ops, "19:other@thread.tacv2");
        var targets = Targets(Incident(), IncidentUpdateKind.Declared, first, second, other);
        Assert.Equal(2, targets.Count);
        Assert.Equal(["first", "second"], targets.Single(t => t.ConversationId == ops.TeamThreadId).RuleNames.Order());
    }

    [Theory]
    [InlineData(IncidentSeverity.Sev1, true)]
    [InlineData(IncidentSeverity.Sev2, true)]
    [InlineData(IncidentSeverity.Sev3, false)]
    [InlineData(IncidentSeverity.Sev4, false)]
    public void Severity_at_or_above_the_threshold_matches(IncidentSeverity severity, bool matches) =>
        Assert.Equal(matches, AnnouncementTargets.Matches(Rule(ops, change: r => r.MinimumSeverity = IncidentSeverity.Sev2), Incident(severity), IncidentUpdateKind.Declared));

    [Theory]
    [InlineData(IncidentUpdateKind.Declared, true)]
    [InlineData(IncidentUpdateKind.SeverityChanged, false)]
    [InlineData(IncidentUpdateKind.StatusChanged, true)]
    [InlineData(IncidentUpdateKind.Resolved, false)]
    public void Only_the_chosen_kinds_of_update_match(IncidentUpdateKind kind, bool matches)
    {
        var rule = Rule(ops, change: r => { r.OnDeclared = true; r.OnSeverityChanged = false; r.OnStatusChanged = true; r.OnResolved = false; });
        Assert.Equal(matches, AnnouncementTargets.Matches(rule, Incident(), kind));
    }

    [Fact]
    public void Types_filter_when_listed_and_match_any_when_empty()
    {
        var securityOnly = Rule(security, change: r => r.IncidentTypes = ["Security"]);
        var any = Rule(ops);
        Assert.True(AnnouncementTargets.Matches(securityOnly, Incident(type: "security"), IncidentUpdateKind.Declared));
        Assert.False(AnnouncementTargets.Matches(securityOnly, Incident(type: "Default"), IncidentUpdateKind.Declared));
        Assert.True(AnnouncementTargets.Matches(any, Incident(type: "Customer data"), IncidentUpdateKind.Declared));
    }

    [Fact]
    public void Test_and_private_incidents_match_only_rules_that_include_them()
    {
        var plain = Rule(ops);
        var inclusive = Rule(ops, change: r => { r.IncludeTest = true; r.IncludePrivate = true; });
        Assert.False(AnnouncementTargets.Matches(plain, Incident(test: true), IncidentUpdateKind.Declared));
        Assert.False(AnnouncementTargets.Matches(plain, Incident(isPrivate: true), IncidentUpdateKind.Declared));
        Assert.True(AnnouncementTargets.Matches(inclusive, Incident(test: true, isPrivate: true), IncidentUpdateKind.Declared));
    }

    [Fact]
    public void Disabled_rules_removed_teams_and_other_organisations_give_nothing()
    {
        security.RemovedAt = DateTimeOffset.UtcNow;
        var disabled = Rule(ops, change: r => r.IsEnabled = false);
        var removedTeam = Rule(security);
        var foreign = Rule(ops, "19:foreign@thread.tacv2", r => r.OrganizationId = Guid.NewGuid());
        var unknownTeam = Rule(ops, "19:ghost@thread.tacv2", r => r.BotTeamId = Guid.NewGuid());
        Assert.Empty(Targets(Incident(), IncidentUpdateKind.Declared, disabled, removedTeam, foreign, unknownTeam));
    }
}
