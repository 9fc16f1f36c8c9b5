namespace IncidentIo.Sandbox.State;

/// <summary>
/// The demo tenants every Sandbox starts with. Ids are fixed so docs, tests and the product's
/// demo configuration can name them; README.md lists them.
/// </summary>
public static class DemoSeed
{
    public static readonly Guid ContosoTenantId = new("c0a7050c-0000-4000-8000-000000000000");
    public static readonly Guid StaffTenantId = new("1c1de471-0000-4000-8000-000000000000");

    public const string ContosoDomain = "contoso.example";
    public const string StaffDomain = "incidentio.example";

    public static readonly Guid AdminId = ContosoUserId(1);
    public static readonly Guid UserId = ContosoUserId(2);
    public static readonly Guid BlockedUserId = ContosoUserId(3);
    public static readonly Guid NeverOpenedTeamsUserId = ContosoUserId(4);
    public static readonly Guid NoTeamUser1Id = ContosoUserId(5);
    public static readonly Guid NoTeamUser2Id = ContosoUserId(6);
    public static readonly Guid StaffUserId = new("1c1de471-0001-4000-8000-000000000001");
    public static readonly Guid HelpdeskUserId = new("1c1de471-0001-4000-8000-000000000002");
    public static readonly Guid StaffGuestUserId = new("1c1de471-0001-4000-8000-000000000003");

    /// <summary>The app role our main app defines for support staff (the product's <c>Support:StaffAppRole</c>).</summary>
    public const string StaffAppRole = "Support.Staff";

    private static readonly string[] OrdinaryNames =
    [
        "Alex Wilber", "Megan Bowen", "Diego Siciliani", "Grady Archie", "Isaiah Langer",
        "Johanna Lorenz", "Lidia Holloway", "Lynne Robbins", "Miriam Graham", "Nestor Wilke",
    ];

    /// <summary>Number of users seeded into Contoso.</summary>
    public static int ContosoUserCount => 6 + OrdinaryNames.Length;

    public static void Apply(SandboxState state)
    {
        state.AddTenant(new Tenant(ContosoTenantId, "Contoso", [ContosoDomain]));
        state.AddTenant(new Tenant(StaffTenantId, "IncidentIo", [StaffDomain]));

        state.AddUser(Contoso(AdminId, "admin", "Adele Admin") with { IsGlobalAdmin = true });
        state.AddUser(Contoso(UserId, "user", "Uma User"));
        state.AddUser(Contoso(BlockedUserId, "blocked", "Blake Blocked") with { BlockedByPolicy = true });
        state.AddUser(Contoso(NeverOpenedTeamsUserId, "newcomer", "Nina Newcomer") with { NeverOpenedTeams = true });
        // Kept out of every team once teams are seeded: the active-user sweep's "in no team" cases.
        state.AddUser(Contoso(NoTeamUser1Id, "loner1", "Lou Loner"));
        state.AddUser(Contoso(NoTeamUser2Id, "loner2", "Lena Loner"));

        for (var i = 0; i < OrdinaryNames.Length; i++)
        {
            var name = OrdinaryNames[i];
            var alias = name.Replace(' ', '.').ToLowerInvariant();
            state.AddUser(Contoso(ContosoUserId(7 + i), alias, name));
        }

        state.AddUser(new User(StaffUserId, StaffTenantId, $"staff@{StaffDomain}", "Sam Staff", $"staff@{StaffDomain}", IsGlobalAdmin: true, AppRoles: [StaffAppRole]));
        // Of our own tenant but not support staff: no app role; and a guest who was given the role, whom the product still refuses.
        state.AddUser(new User(HelpdeskUserId, StaffTenantId, $"helpdesk@{StaffDomain}", "Hal Helpdesk", $"helpdesk@{StaffDomain}"));
        state.AddUser(new User(StaffGuestUserId, StaffTenantId, $"gina_fabrikam.example#EXT#@{StaffDomain}", "Gina Guest", "gina@fabrikam.example",
            AppRoles: [StaffAppRole], IsGuest: true));
        TeamsSeed.Apply(state);
    }

    private static Guid ContosoUserId(int n) => new($"c0a7050c-0001-4000-8000-{n:D12}");

    private static User Contoso(Guid id, string alias, string name) =>
        new(id, ContosoTenantId, $"{alias}@{ContosoDomain}", name, $"{alias}@{ContosoDomain}");
}
