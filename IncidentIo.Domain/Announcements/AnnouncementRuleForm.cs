using IncidentIo.Domain.Incidents;

namespace IncidentIo.Domain.Announcements;

/// <summary>What an admin fills in for a rule (bound by the settings dialog).</summary>
public sealed class AnnouncementRuleForm
{
    public string? Name { get; set; }

    public Guid? BotTeamId { get; set; }

    /// <summary>A channel's conversation id; empty means the team's General channel.</summary>
    public string? ChannelConversationId { get; set; }

    public string? ChannelName { get; set; }

    public bool OnDeclared { get; set; } = true;

    public bool OnSeverityChanged { get; set; }

    public bool OnStatusChanged { get; set; }

    public bool OnResolved { get; set; } = true;

    public IncidentSeverity MinimumSeverity { get; set; } = IncidentSeverity.Sev4;

    public List<string> IncidentTypes { get; set; } = [];

    public bool IncludeTest { get; set; }

    public bool IncludePrivate { get; set; }

    public bool IsEnabled { get; set; } = true;

    public static AnnouncementRuleForm From(AnnouncementRule rule) => new()
    {
        Name = rule.Name,
        BotTeamId = rule.BotTeamId,
        ChannelConversationId = rule.ChannelConversationId,
        ChannelName = rule.ChannelName,
        OnDeclared = rule.OnDeclared,
        OnSeverityChanged = rule.OnSeverityChanged,
        OnStatusChanged = rule.OnStatusChanged,
        OnResolved = rule.OnResolved,
        MinimumSeverity = rule.MinimumSeverity,
        IncidentTypes = [.. rule.IncidentTypes],
        IncludeTest = rule.IncludeTest,
        IncludePrivate = rule.IncludePrivate,
        IsEnabled = rule.IsEnabled,
    };
}

/// <summary>The saved rule, or per-field errors (field name as on <see cref="AnnouncementRuleForm"/>, "" for the whole) and nothing saved.</summary>
public sealed record RuleSaveResult(AnnouncementRule? Rule, IReadOnlyDictionary<string, string> Errors)
{
    public bool Succeeded => Rule is not null;
}
