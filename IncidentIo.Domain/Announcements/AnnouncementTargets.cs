using IncidentIo.Domain.Bot;
using IncidentIo.Domain.Incidents;

namespace IncidentIo.Domain.Announcements;

/// <summary>Which channels an incident update is posted to: the rules' decision, with no I/O.</summary>
public static class AnnouncementTargets
{
    /// <summary>Whether <paramref name="rule"/> asks for <paramref name="kind"/> about <paramref name="incident"/>.</summary>
    public static bool Matches(AnnouncementRule rule, Incident incident, IncidentUpdateKind kind) =>
        rule.IsEnabled
        && rule.OrganizationId == incident.OrganizationId
        && rule.Covers(kind)
        && incident.Severity <= rule.MinimumSeverity
        && (rule.IncidentTypes.Count == 0 || rule.IncidentTypes.Contains(incident.Type, StringComparer.OrdinalIgnoreCase))
        && (!incident.IsTest || rule.IncludeTest)
        && (!incident.IsPrivate || rule.IncludePrivate);

    /// <summary>
    /// One target per distinct channel among the matching rules whose team still has our bot:
    /// two rules naming the same channel give one post.
    /// </summary>
    public static IReadOnlyList<ChannelTarget> For(Incident incident, IncidentUpdateKind kind, IEnumerable<AnnouncementRule> rules, IEnumerable<BotTeam> teams)
    {
        var installed = teams.Where(t => t.IsInstalled && t.OrganizationId == incident.OrganizationId).ToDictionary(t => t.Id);
        return rules
            .Where(r => Matches(r, incident, kind) && installed.ContainsKey(r.BotTeamId))
            .GroupBy(r => r.ChannelConversationId, StringComparer.Ordinal)
            .Select(g =>
            {
                var first = g.OrderBy(r => r.CreatedAt).ThenBy(r => r.Id).First();
                var team = installed[first.BotTeamId];
                return new ChannelTarget(g.Key, team.ServiceUrl, $"{team.Name} › {first.ChannelName}", g.Select(r => r.Name).ToList());
            })
            .ToList();
    }
}

/// <summary>A channel to post to, and the rules that asked for it.</summary>
public sealed record ChannelTarget(string ConversationId, string ServiceUrl, string Name, IReadOnlyList<string> RuleNames);
