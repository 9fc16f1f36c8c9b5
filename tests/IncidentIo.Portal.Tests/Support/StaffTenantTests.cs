using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Portal.Setup;
using IncidentIo.Sandbox.State;
using Microsoft.Extensions.Configuration;

namespace IncidentIo.Portal.Tests.Support;

public sealed class StaffTenantTests
{
    [Fact]
    public void In_sandbox_mode_our_staff_are_the_sandboxs_incidentio_tenant()
    {
        var configuration = new ConfigurationManager();

        SandboxDefaults.ApplyUnlessConfigured(configuration);

        Assert.Equal(DemoSeed.StaffTenantId.ToString(), configuration["Support:StaffTenantId"]);
    }

    [Fact]
    public void A_configured_staff_tenant_wins_and_live_mode_has_none_by_default()
    {
        var configured = new ConfigurationManager { ["Support:StaffTenantId"] = "0b5e1a2c-0000-4000-8000-000000000000" };
        var live = new ConfigurationManager { ["Microsoft:Mode"] = "Live" };

        SandboxDefaults.ApplyUnlessConfigured(configured);
        SandboxDefaults.ApplyUnlessConfigured(live);

        Assert.Equal("0b5e1a2c-0000-4000-8000-000000000000", configured["Support:StaffTenantId"]);
        Assert.Null(live["Support:StaffTenantId"]);
        Assert.False(new SupportOptions().IsStaff(SupportWorld.StaffMember("Sam Staff", "staff@incidentio.example")));
    }

    [Fact]
    public void Only_a_member_of_the_staff_tenant_with_the_staff_app_role_is_staff()
    {
        var options = new SupportOptions { StaffTenantId = DemoSeed.StaffTenantId.ToString() };

        Assert.True(options.IsStaff(SupportWorld.StaffMember("Sam Staff", "staff@incidentio.example")));
        // Of our tenant, but without the app role: not staff, though still of our tenant (so never given an organisation).
        var helpdesk = SupportWorld.Person(DemoSeed.StaffTenantId, "Hal Helpdesk", "helpdesk@incidentio.example");
        Assert.False(options.IsStaff(helpdesk));
        Assert.True(options.FromStaffTenant(helpdesk));
        // A guest given the role: refused by acct = 1, and by the #EXT# of a guest's UPN alone.
        Assert.False(options.IsStaff(SupportWorld.Person(DemoSeed.StaffTenantId, "Gina Guest", "gina@fabrikam.example",
            new System.Security.Claims.Claim("roles", "Support.Staff"), new System.Security.Claims.Claim("acct", "1"))));
        Assert.False(options.IsStaff(SupportWorld.Person(DemoSeed.StaffTenantId, "Gina Guest", "gina_fabrikam.example#EXT#@incidentio.example",
            new System.Security.Claims.Claim("roles", "Support.Staff"))));
        // Another role name configured: the default one no longer counts.
        Assert.False(new SupportOptions { StaffTenantId = DemoSeed.StaffTenantId.ToString(), StaffAppRole = "Ops.Support" }
            .IsStaff(SupportWorld.StaffMember("Sam Staff", "staff@incidentio.example")));
        Assert.False(options.IsStaff(SupportWorld.Person(DemoSeed.ContosoTenantId, "Adele Admin", "admin@contoso.example")));
        Assert.False(options.IsStaff(new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity([new("tid", DemoSeed.StaffTenantId.ToString())]))));
        Assert.False(options.IsStaff(null));
    }

    [Theory]
    [InlineData("")]
    [InlineData("Support Staff")]
    public void A_staff_app_role_that_is_no_app_role_value_is_refused_naming_the_key(string value)
    {
        var result = new SupportOptionsValidator().Validate(null, new SupportOptions { StaffAppRole = value });

        Assert.True(result.Failed);
        Assert.StartsWith("Support:StaffAppRole must be the value of an app role", result.FailureMessage);
    }

    [Theory]
    [InlineData("incidentio")]
    [InlineData("00000000-0000-0000-0000-000000000000")]
    public void A_staff_tenant_that_is_not_a_tenant_id_is_refused_naming_the_key(string value)
    {
        var result = new SupportOptionsValidator().Validate(null, new SupportOptions { StaffTenantId = value });

        Assert.True(result.Failed);
        Assert.Equal($"Support:StaffTenantId must be our own Entra tenant id (a GUID), like '1c1de471-0000-4000-8000-000000000000', not '{value}'.", result.FailureMessage);
    }
}
