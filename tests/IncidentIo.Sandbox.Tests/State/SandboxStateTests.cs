using IncidentIo.Sandbox.State;

namespace IncidentIo.Sandbox.Tests.State;

public sealed class SandboxStateTests
{
    [Fact]
    public void Seed_is_deterministic_and_findable_by_id_domain_and_upn()
    {
        var state = Seeded();

        Assert.Equal(DemoSeed.ContosoTenantId, state.FindTenant("CONTOSO.example")!.Id);
        Assert.Equal(DemoSeed.ContosoTenantId, state.FindTenant(DemoSeed.ContosoTenantId.ToString())!.Id);
        Assert.Null(state.FindTenant("fabrikam.example"));
        Assert.True(state.FindUserByUpn("Admin@Contoso.Example")!.IsGlobalAdmin);
        Assert.False(state.FindUser(DemoSeed.UserId)!.IsGlobalAdmin);
        Assert.True(state.FindUser(DemoSeed.BlockedUserId)!.BlockedByPolicy);
        Assert.True(state.FindUser(DemoSeed.NeverOpenedTeamsUserId)!.NeverOpenedTeams);
        Assert.Equal(DemoSeed.ContosoUserCount, state.Users(DemoSeed.ContosoTenantId).Count);
        // Our staff (with the staff app role), a colleague without it, and a guest given it.
        Assert.Equal(
            ["gina_fabrikam.example#EXT#@incidentio.example", "helpdesk@incidentio.example", "staff@incidentio.example"],
            state.Users(DemoSeed.StaffTenantId).Select(u => u.UserPrincipalName).Order(StringComparer.Ordinal));
        Assert.Equal([DemoSeed.StaffAppRole], state.FindUser(DemoSeed.StaffUserId)!.AssignedAppRoles);
        Assert.Empty(state.FindUser(DemoSeed.HelpdeskUserId)!.AssignedAppRoles);
        Assert.True(state.FindUser(DemoSeed.StaffGuestUserId)!.IsGuest);
        Assert.Equal(
            Seeded().Users(DemoSeed.ContosoTenantId).Select(u => (u.Id, u.UserPrincipalName)),
            state.Users(DemoSeed.ContosoTenantId).Select(u => (u.Id, u.UserPrincipalName)));
    }

    [Fact]
    public void A_user_is_found_only_in_its_own_tenant()
    {
        var state = Seeded();

        Assert.NotNull(state.FindUser(DemoSeed.ContosoTenantId, "user@contoso.example"));
        Assert.Null(state.FindUser(DemoSeed.StaffTenantId, "user@contoso.example"));
        Assert.Null(state.FindUser(DemoSeed.StaffTenantId, DemoSeed.UserId.ToString()));
    }

    [Fact]
    public void Duplicate_upns_and_unknown_tenants_are_refused()
    {
        var state = Seeded();

        Assert.Throws<InvalidOperationException>(() => state.AddUser(new User(Guid.NewGuid(), DemoSeed.ContosoTenantId, "USER@contoso.example", "Copy")));
        Assert.Throws<InvalidOperationException>(() => state.AddUser(new User(Guid.NewGuid(), Guid.NewGuid(), "x@nowhere.example", "X")));
    }

    [Fact]
    public void Grants_accumulate_per_tenant_and_app_and_revoke_removes_the_app()
    {
        var state = Seeded();
        state.RegisterApp(new AppRegistration { ClientId = "APP-1", DisplayName = "App" });

        Assert.False(state.AppExistsIn(DemoSeed.ContosoTenantId, "app-1"));
        state.GrantUserConsent(DemoSeed.ContosoTenantId, "app-1", DemoSeed.UserId, ["User.Read"]);
        state.GrantAdminConsent(DemoSeed.ContosoTenantId, "APP-1", ["User.Read.All"], ["Team.Create"]);
        var grant = state.FindGrant(DemoSeed.ContosoTenantId, "app-1")!;

        Assert.True(state.AppExistsIn(DemoSeed.ContosoTenantId, "app-1"));
        Assert.False(state.AppExistsIn(DemoSeed.StaffTenantId, "app-1"));
        Assert.Equal(["User.Read.All"], grant.ApplicationRoles);
        Assert.Equal(["Team.Create", "User.Read"], grant.DelegatedScopesFor(DemoSeed.UserId));
        Assert.Equal(["Team.Create"], grant.DelegatedScopesFor(DemoSeed.AdminId));
        Assert.True(state.RevokeGrant(DemoSeed.ContosoTenantId, "app-1"));
        Assert.False(state.AppExistsIn(DemoSeed.ContosoTenantId, "app-1"));
    }

    [Fact]
    public void Concurrent_writers_lose_nothing()
    {
        var state = Seeded();

        Parallel.For(0, 2000, i =>
        {
            state.AddUser(new User(Guid.NewGuid(), DemoSeed.ContosoTenantId, $"gen{i:D5}@contoso.example", $"Generated {i}"));
            state.GrantUserConsent(DemoSeed.ContosoTenantId, "app", DemoSeed.UserId, [$"Scope{i % 50}"]);
        });

        Assert.Equal(DemoSeed.ContosoUserCount + 2000, state.Users(DemoSeed.ContosoTenantId).Count);
        Assert.Equal(50, state.FindGrant(DemoSeed.ContosoTenantId, "app")!.DelegatedScopesFor(DemoSeed.UserId).Count);
    }

    private static SandboxState Seeded()
    {
        var state = new SandboxState(TimeProvider.System);
        DemoSeed.Apply(state);
        return state;
    }
}
