using IncidentIo.Domain.Users;

namespace IncidentIo.Domain.Organizations;

/// <summary>A customer: one Microsoft tenant, its plan and how far its setup has got.</summary>
public sealed class Organization
{
    public const int NameMaxLength = 200;

    public Guid Id { get; set; } = Guid.NewGuid();

    public required string Name { get; set; }

    /// <summary>The Entra ID tenant (<c>tid</c>); one organisation per tenant.</summary>
    public Guid MicrosoftTenantId { get; set; }

    public string? PlanCode { get; set; }

    public Plan? Plan { get; set; }

    public DateTimeOffset? PlanChosenAt { get; set; }

    public SetupStage SetupStage { get; set; } = SetupStage.SignedIn;

    /// <summary>When we last confirmed (with an app-only token) that admin consent #1 is in place.</summary>
    public DateTimeOffset? GlobalPermissionsGrantedAt { get; set; }

    /// <summary>When we last confirmed that admin consent #2 (the temporary setup app) is in place.</summary>
    public DateTimeOffset? SetupPermissionsGrantedAt { get; set; }

    /// <summary>The Bot Framework connector for this tenant, from the latest activity Teams sent our bot.</summary>
    public string? BotServiceUrl { get; set; }

    /// <summary>
    /// The team setup put our app in (the "Incidents" team of the automatic install, or where a manual
    /// install was found): its General channel gets the default announcement rule.
    /// </summary>
    public Guid? IncidentsTeamGraphId { get; set; }

    /// <summary>When the default announcement rule was made: never a second time, even if an admin deletes it.</summary>
    public DateTimeOffset? DefaultAnnouncementRuleCreatedAt { get; set; }

    /// <summary>
    /// Our app's id in the tenant's Teams app catalog when last asked (<c>TeamsApp/TeamsAppCatalog</c>):
    /// our manifest id for a Store app, an id of the tenant's own for an upload.
    /// </summary>
    public string? TeamsAppCatalogId { get; set; }

    /// <summary>How that entry reached the catalog: <c>store</c>, <c>organization</c> or <c>sideloaded</c>.</summary>
    public string? TeamsAppDistribution { get; set; }

    /// <summary>The Store entry's id when the tenant has our app both ways (installs made from it count too).</summary>
    public string? TeamsAppOtherCatalogId { get; set; }

    /// <summary>When the catalog was last asked.</summary>
    public DateTimeOffset? TeamsAppCatalogCheckedAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public List<User> Users { get; } = [];

    /// <summary>Moves setup forward to <paramref name="stage"/>; never back.</summary>
    public void Reach(SetupStage stage, DateTimeOffset at)
    {
        if (SetupStage < stage)
        {
            SetupStage = stage;
        }

        UpdatedAt = at;
    }

    public void ChoosePlan(Plan plan, DateTimeOffset at)
    {
        // The code only: the plan may have been read by another context than this organisation.
        PlanCode = plan.Code;
        PlanChosenAt = at;
        Reach(SetupStage.PlanSelected, at);
    }
}

/// <summary>Where the guided setup stands; later stages imply the earlier ones are done.</summary>
public enum SetupStage
{
    SignedIn = 0,
    OrganizationDetailsConfirmed = 1,
    PlanSelected = 2,
    GlobalPermissionsGranted = 3,
    TeamsAppInstalled = 4,
    Completed = 5,
}
