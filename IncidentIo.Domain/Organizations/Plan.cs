namespace IncidentIo.Domain.Organizations;

/// <summary>
/// A plan an organisation picks during setup and may change later on <c>/settings/plan</c>. Each card
/// line is either true of every plan or is gated by <see cref="PlanFeatures"/> in the service that does it.
/// </summary>
public sealed class Plan
{
    /// <summary>Where an admin changes plan; every refusal for a feature a plan lacks points here.</summary>
    public const string SettingsPath = "/settings/plan";

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
        Includes = ["Unlimited viewers", "Declare incidents from Teams", "One announcement rule", "Support console for your admins", "Deactivation safety review"],
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
        Summary = "For organisations that handle sensitive incidents.",
        Includes = ["Everything in Team", "Private incidents"],
        SortOrder = 3,
    };

    public static readonly Plan Enterprise = new()
    {
        Code = "enterprise",
        Name = "Enterprise",
        Summary = "For large organisations that buy under their own terms.",
        Includes = ["Everything in Pro", "Terms and invoicing agreed with us"],
        SortOrder = 4,
    };

    public static IReadOnlyList<Plan> All { get; } = [Basic, Team, Pro, Enterprise];
}

/// <summary>
/// What a plan allows, by plan code: the one place the services ask. An organisation that has not
/// chosen a plan yet (setup before its plan step) is not limited: setup asks for a plan before any
/// Microsoft permission, so nothing can be announced or declared in Teams before one is chosen.
/// </summary>
public sealed record PlanFeatures(string? PlanName, int? MaxAnnouncementRules, bool LeadDirectMessages, bool PrivateIncidents)
{
    public static PlanFeatures Of(string? planCode) => planCode switch
    {
        null => new(null, null, true, true),
        "basic" => new(Plan.Basic.Name, 1, false, false),
        "team" => new(Plan.Team.Name, null, true, false),
        _ => new(Plan.All.FirstOrDefault(p => p.Code == planCode)?.Name ?? planCode, null, true, true),
    };

    /// <summary>A refusal naming the cheapest plan with the feature and where to change plan.</summary>
    /// <param name="whatNeeds">The feature and its verb, e.g. "Private incidents need".</param>
    public string Refusal(string whatNeeds, Plan includedFrom) =>
        $"{whatNeeds} the {includedFrom.Name} plan or above; your organisation is on the {PlanName} plan. " +
        $"An admin can change plan in Settings → Plan ({Plan.SettingsPath}).";
}
