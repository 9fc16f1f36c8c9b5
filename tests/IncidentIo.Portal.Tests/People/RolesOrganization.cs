using System.Security.Claims;
using IncidentIo.Domain.Roles;
using IncidentIo.Domain.Users;
using IncidentIo.Portal.Support;
using IncidentIo.Portal.Tests.Security;
using IncidentIo.Portal.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Hangfire;

namespace IncidentIo.Portal.Tests.People;

/// <summary>
/// A fresh organisation in <see cref="SupportWorld"/>'s product: its Microsoft admin signed in (Owner),
/// then one person per role (signed in or found in Teams), so each test changes only its own people.
/// </summary>
public sealed class RolesOrganization
{
    private readonly SupportWorld world;

    private RolesOrganization(SupportWorld world, Guid tenantId) => (this.world, TenantId) = (world, tenantId);

    public Guid TenantId { get; }

    public Guid Id { get; private set; }

    public ClaimsPrincipal OwnerSignIn { get; private set; } = null!;

    public Guid Owner { get; private set; }

    public Guid Admin { get; private set; }

    public Guid Responder { get; private set; }

    public Guid Viewer { get; private set; }

    /// <summary>An Admin whose deactivation kept their role.</summary>
    public Guid DeactivatedAdmin { get; private set; }

    public OrganizationRoles Roles => world.Host.Services.GetRequiredService<OrganizationRoles>();

    public static async Task<RolesOrganization> CreateAsync(SupportWorld world)
    {
        var organization = new RolesOrganization(world, Guid.NewGuid());
        organization.OwnerSignIn = SupportWorld.MicrosoftAdmin(organization.TenantId, "Olga Owner", $"owner@{organization.TenantId:N}.example");
        organization.Id = (await world.Access.OpenAsync(organization.OwnerSignIn)).OrganizationId!.Value;
        await using var db = world.NewContext();
        organization.Owner = await db.Users.Where(u => u.OrganizationId == organization.Id).Select(u => u.Id).SingleAsync();
        organization.Admin = await organization.AddAsync("Adam Admin", UserRole.Admin);
        organization.Responder = await organization.AddAsync("Rita Responder", UserRole.Responder);
        organization.Viewer = await organization.AddAsync("Vic Viewer", UserRole.Viewer);
        organization.DeactivatedAdmin = await organization.AddAsync("Dee Deactivated", UserRole.Admin, deactivated: true);
        return organization;
    }

    public async Task<Guid> AddAsync(string name, UserRole role, bool deactivated = false, bool microsoftAdmin = false)
    {
        var person = await world.AddPersonAsync(Id, name, $"{name.Split(' ')[0].ToLowerInvariant()}@{TenantId:N}.example", Domain.Reachability.InstallationState.NotInstalled, null);
        await using var db = world.NewContext();
        var user = await db.Users.SingleAsync(u => u.Id == person.Id);
        user.Role = role;
        user.MicrosoftAdminAtLastSignIn = microsoftAdmin;
        if (deactivated)
        {
            user.Deactivate("In no team with IncidentIo (test).", DateTimeOffset.UtcNow);
        }

        await db.SaveChangesAsync();
        return user.Id;
    }

    public async Task<(UserRole Role, UserRole? Kept, bool Active)> RoleOfAsync(Guid userId)
    {
        await using var db = world.NewContext();
        var user = await db.Users.AsNoTracking().SingleAsync(u => u.Id == userId);
        return (user.Role, user.RoleBeforeDeactivation, user.IsActive);
    }

    public async Task<int> AuditsAsync(string action)
    {
        await using var db = world.NewContext();
        return await db.AuditLog.CountAsync(a => a.OrganizationId == Id && a.Action == action);
    }

    public async Task<string> StateAsync()
    {
        await using var db = world.NewContext();
        return await StoredState.ReadAsync(db, world.Host.Services.GetService<JobStorage>());
    }

    public OwnerRecovery Recovery => world.Host.Services.GetRequiredService<OwnerRecovery>();
}
