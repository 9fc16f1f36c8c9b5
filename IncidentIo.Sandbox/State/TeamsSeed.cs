namespace IncidentIo.Sandbox.State;

/// <summary>
/// Contoso's existing teams. Ids are fixed (README.md lists them); <c>loner1</c> and <c>loner2</c>
/// stay out of every team. No app is published or installed: the product publishes its own.
/// </summary>
public static class TeamsSeed
{
    public static readonly Guid EngineeringTeamId = new("c0a7050c-0002-4000-8000-000000000001");
    public static readonly Guid OperationsTeamId = new("c0a7050c-0002-4000-8000-000000000002");

    public static void Apply(SandboxState state)
    {
        var upn = (string alias) => state.FindUserByUpn($"{alias}@{DemoSeed.ContosoDomain}")!.Id;
        state.Teams.CreateTeam(DemoSeed.ContosoTenantId, "Engineering", "Product engineering", [
            (DemoSeed.AdminId, true), (upn("alex.wilber"), true), (DemoSeed.UserId, false), (upn("megan.bowen"), false),
            (upn("diego.siciliani"), false), (upn("grady.archie"), false), (upn("isaiah.langer"), false), (DemoSeed.BlockedUserId, false),
        ], EngineeringTeamId);
        state.Teams.CreateTeam(DemoSeed.ContosoTenantId, "Operations", "Run the business: on-call, support and incidents", [
            (upn("johanna.lorenz"), true), (DemoSeed.AdminId, false), (DemoSeed.UserId, false), (upn("lidia.holloway"), false),
            (upn("lynne.robbins"), false), (upn("miriam.graham"), false), (upn("nestor.wilke"), false), (DemoSeed.NeverOpenedTeamsUserId, false),
        ], OperationsTeamId);
    }
}
