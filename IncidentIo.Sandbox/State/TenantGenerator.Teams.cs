namespace IncidentIo.Sandbox.State;

/// <summary>Teams for generated tenants: one per 20 users, sizes skewed like real tenants.</summary>
public static partial class TenantGenerator
{
    private static readonly string[] TeamKinds =
    [
        "Engineering", "Platform", "Payments", "Mobile", "Data", "Security", "Support", "Sales", "Marketing", "Finance",
        "People", "Legal", "Operations", "Design", "Infrastructure", "Growth", "Partnerships", "Research", "Quality", "Facilities",
    ];

    static partial void GenerateTeams(SandboxState state, GeneratedTenant tenant, Random random)
    {
        var users = tenant.Users;
        if (users.Count == 0)
        {
            return;
        }

        var teamCount = Math.Max(1, users.Count / 20);
#pragma warning disable CA5394 // Deterministic on purpose.
        for (var t = 0; t < teamCount; t++)
        {
            // Most teams have 3 to 30 members; a few have hundreds (log-uniform sizes).
            var size = Math.Min(users.Count, (int)Math.Exp(random.NextDouble() * Math.Log(600)) + 2);
            var members = new HashSet<Guid>();
            while (members.Count < size)
            {
                members.Add(users[random.Next(users.Count)].Id);
            }

            var name = $"{TeamKinds[t % TeamKinds.Length]} {(t / TeamKinds.Length) + 1}";
            state.Teams.CreateTeam(tenant.TenantId, name, $"Generated team {t + 1}", members.Select((id, i) => (id, i == 0)));
        }
#pragma warning restore CA5394
    }
}
