namespace IncidentIo.Domain.Organizations;

/// <summary>A plan an organisation can pick during setup; changeable later.</summary>
public sealed class Plan
{
    public required string Code { get; init; }

    public required string Name { get; set; }

    public required string Summary { get; set; }

    /// <summary>What the plan includes, one line each, shown on the plan picker.</summary>
    public List<string> Includes { get; set; } = [];

    public int SortOrder { get; set; }

    public static readonly Plan Basic = new()
    {
        Code = "basic",
        Name = "Basic",
        Summary = "Declare and announce incidents in Microsoft Teams.",
        Includes = ["Unlimited viewers", "Declare incidents from Teams", "One announcement rule"],
        SortOrder = 1,
    };

    public static readonly Plan Team = new()
    {
        Code = "team",
        Name = "Team",
        Summary = "For teams that respond together.",
        Includes = ["Everything in Basic", "Unlimited announcement rules", "Direct messages to incident leads"],
        SortOrder = 2,
    };

    public static readonly Plan Pro = new()
    {
        Code = "pro",
        Name = "Pro",
        Summary = "For organisations with several responding teams.",
        Includes = ["Everything in Team", "Private incidents", "Support console for your admins"],
        SortOrder = 3,
    };

    public static readonly Plan Enterprise = new()
    {
        Code = "enterprise",
        Name = "Enterprise",
        Summary = "For large organisations with their own controls.",
        Includes = ["Everything in Pro", "Deactivation safety review", "Named support contact"],
        SortOrder = 4,
    };

    public static IReadOnlyList<Plan> All { get; } = [Basic, Team, Pro, Enterprise];
}
