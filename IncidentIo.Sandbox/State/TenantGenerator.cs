using System.Diagnostics;

namespace IncidentIo.Sandbox.State;

/// <summary>
/// Fills a tenant with many realistic users, fast and repeatably: the same seed gives the same
/// names, UPNs and object ids. UPNs are <c>first.last@domain</c>, with a number when taken.
/// </summary>
public static partial class TenantGenerator
{
    private static readonly string[] FirstNames =
    [
        "Aaliyah", "Aaron", "Abigail", "Adam", "Adrian", "Aisha", "Alejandro", "Alex", "Alice", "Amara", "Amelia", "Ana", "Andre", "Andrew", "Anika",
        "Anna", "Arjun", "Ava", "Ben", "Bianca", "Carlos", "Caroline", "Chen", "Chloe", "Chris", "Daniel", "David", "Diego", "Dmitri", "Elena",
        "Eli", "Emily", "Emma", "Ethan", "Fatima", "Felix", "Freya", "Gabriel", "Grace", "Hannah", "Hiro", "Ibrahim", "Isaac", "Isabella", "Ivan",
        "Jack", "James", "Jana", "Javier", "Jia", "Joao", "John", "Julia", "Kai", "Kenji", "Laila", "Leah", "Leo", "Liam", "Lucas",
        "Lucia", "Maria", "Mark", "Maya", "Mei", "Mia", "Mohammed", "Nadia", "Noah", "Nora", "Olivia", "Omar", "Oscar", "Priya", "Rafael",
        "Ravi", "Rosa", "Ryan", "Sara", "Sofia", "Tariq", "Thomas", "Uma", "Victor", "Wei", "Yara", "Yusuf", "Zara", "Zoe", "Zoltan",
    ];

    private static readonly string[] LastNames =
    [
        "Abe", "Adams", "Ahmed", "Ali", "Allen", "Alvarez", "Andersen", "Bailey", "Baker", "Bauer", "Becker", "Brown", "Campbell", "Carter", "Chen",
        "Clark", "Cohen", "Costa", "Cruz", "Das", "Davies", "Diaz", "Dubois", "Edwards", "Evans", "Fischer", "Garcia", "Gomez", "Gonzalez", "Green",
        "Gupta", "Hall", "Hansen", "Harris", "Hernandez", "Hill", "Hoffmann", "Huang", "Ibrahim", "Ito", "Jackson", "Jensen", "Johnson", "Jones", "Kim",
        "King", "Kowalski", "Kumar", "Larsen", "Lee", "Lewis", "Li", "Lopez", "Martin", "Martinez", "Meyer", "Miller", "Moore", "Morales", "Muller",
        "Murphy", "Nakamura", "Nguyen", "Novak", "Okafor", "Olsen", "Patel", "Perez", "Petrov", "Ramirez", "Reyes", "Roberts", "Rossi", "Sato", "Schmidt",
        "Silva", "Singh", "Smith", "Suzuki", "Tanaka", "Taylor", "Thomas", "Walker", "Wang", "White", "Williams", "Wilson", "Wright", "Yamamoto", "Zhang",
    ];

    /// <summary>
    /// Adds <paramref name="users"/> users to an existing tenant. A small share never opened Teams
    /// (1%) or has the Teams app blocked by policy (0.2%), as in real tenants.
    /// </summary>
    public static GeneratedTenant Generate(SandboxState state, Guid tenantId, int users = 100_000, int seed = 42)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(users);
        var tenant = state.FindTenant(tenantId.ToString()) ?? throw new InvalidOperationException($"Tenant {tenantId} does not exist.");
        var clock = Stopwatch.StartNew();
#pragma warning disable CA5394 // Deterministic on purpose: the same seed gives the same tenant.
        var random = new Random(seed);
        var taken = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        // UPNs end in the tenant's own domain, so only its existing users can clash.
        var existing = state.Users(tenantId).Select(u => u.UserPrincipalName).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var created = new List<User>(users);
        var id = new byte[16];
        var salt = tenantId.ToByteArray(); // the same seed in another tenant gives other object ids
        while (created.Count < users)
        {
            var first = FirstNames[random.Next(FirstNames.Length)];
            var last = LastNames[random.Next(LastNames.Length)];
            var alias = $"{first}.{last}".ToLowerInvariant();
            var n = taken.GetValueOrDefault(alias);
            var upn = "";
            do
            {
                n++;
                upn = n == 1 ? $"{alias}@{tenant.DefaultDomain}" : $"{alias}{n}@{tenant.DefaultDomain}";
            }
            while (existing.Contains(upn));
            taken[alias] = n;

            random.NextBytes(id);
            for (var i = 0; i < id.Length; i++)
            {
                id[i] ^= salt[i];
            }

            id[7] = (byte)((id[7] & 0x0F) | 0x40); // a version 4 GUID
            id[8] = (byte)((id[8] & 0x3F) | 0x80);
            var roll = random.NextDouble();
            created.Add(new User(new Guid(id), tenantId, upn, $"{first} {last}", upn, BlockedByPolicy: roll < 0.002, NeverOpenedTeams: roll is >= 0.002 and < 0.012));
        }

        state.AddUsers(created);
        var result = new GeneratedTenant(tenantId, created, seed, TimeSpan.Zero);
        GenerateTeams(state, result, random);
#pragma warning restore CA5394
        return result with { Elapsed = clock.Elapsed };
    }

    /// <summary>
    /// Extension point for the Teams state: implement this partial method in another file of this
    /// class to add teams and memberships for the generated users (same seeded <paramref name="random"/>).
    /// </summary>
    static partial void GenerateTeams(SandboxState state, GeneratedTenant tenant, Random random);
}

/// <summary>What <see cref="TenantGenerator.Generate"/> made, and how long it took.</summary>
public sealed record GeneratedTenant(Guid TenantId, IReadOnlyList<User> Users, int Seed, TimeSpan Elapsed);
