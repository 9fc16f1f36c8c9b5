using System.Reflection;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.People;
using IncidentIo.Domain.Setup;
using IncidentIo.Domain.Setup.AutomaticInstall;
using IncidentIo.Domain.Tests.Reachability;
using IncidentIo.Domain.Tests.Setup.AutomaticInstall;
using IncidentIo.Domain.Users;
using IncidentIo.Sandbox.State;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Identity.Web;
using Organization = IncidentIo.Domain.Organizations.Organization;

namespace IncidentIo.Domain.Tests.Setup;

/// <summary>
/// Microsoft's answer to an admin consent is accepted only when it answers a request we made, for
/// that person and organisation, at that consent's address, once, in time, for that tenant; then
/// confirmed with the app's own token. Shown with the temporary setup app (admin consent #2)
/// against the Sandbox.
/// </summary>
public sealed class AdminConsentFlowTests
{
    private static readonly Guid Contoso = DemoSeed.ContosoTenantId;
    private static readonly Uri Callback = new("https://portal.example/setup/consent/setup-app");

    [Fact]
    public async Task A_granted_temporary_consent_is_confirmed_with_the_setup_apps_own_token()
    {
        await using var world = await World.StartAsync();
        var state = await world.StartAsync(ConsentKind.SetupPermissions);
        world.Harness.Sandbox.State.GrantAdminConsent(Contoso, AutomaticInstallHarness.SetupClientId, SetupPermissions.Names, []);

        var answer = await world.CompleteAsync(ConsentKind.SetupPermissions, state);

        Assert.True(answer.IsGranted);
        var organization = await world.OrganizationAsync();
        Assert.NotNull(organization.SetupPermissionsGrantedAt);
        Assert.Null(organization.GlobalPermissionsGrantedAt); // the other consent is untouched
        Assert.Empty(world.Jobs.Taken(nameof(TeamRosters.PermissionsGrantedAsync))); // only the global permissions let us install for everyone
    }

    [Fact]
    public async Task The_address_names_the_setup_app_and_the_organisations_tenant()
    {
        await using var world = await World.StartAsync();

        var address = await world.Flow.StartAsync(world.Member, ConsentKind.SetupPermissions, Callback);

        Assert.StartsWith($"{world.Harness.Sandbox.Origin}/{Contoso}/v2.0/adminconsent?", address.ToString(), StringComparison.Ordinal);
        var query = QueryHelpers.ParseQuery(address.Query);
        Assert.Equal(AutomaticInstallHarness.SetupClientId, query["client_id"]);
        Assert.Equal(Callback.ToString(), query["redirect_uri"]);
    }

    [Fact]
    public async Task Another_tenant_in_the_answer_is_refused_and_changes_nothing()
    {
        await using var world = await World.StartAsync();
        var state = await world.StartAsync(ConsentKind.SetupPermissions);
        world.Harness.Sandbox.State.GrantAdminConsent(Contoso, AutomaticInstallHarness.SetupClientId, SetupPermissions.Names, []);

        var answer = await world.CompleteAsync(ConsentKind.SetupPermissions, state, tenant: Guid.NewGuid());

        Assert.Equal(ConsentRejection.OtherTenant, answer.RejectedBecause);
        Assert.Null((await world.OrganizationAsync()).SetupPermissionsGrantedAt);
    }

    [Fact]
    public async Task An_answer_brought_to_the_other_consents_address_is_not_ours()
    {
        await using var world = await World.StartAsync();
        var state = await world.StartAsync(ConsentKind.SetupPermissions);

        var answer = await world.CompleteAsync(ConsentKind.GlobalPermissions, state);

        Assert.Equal(ConsentRejection.NotYours, answer.RejectedBecause);
        Assert.Null((await world.OrganizationAsync()).GlobalPermissionsGrantedAt);
    }

    [Fact]
    public async Task An_answer_brought_by_another_person_or_with_an_unknown_state_is_not_ours()
    {
        await using var world = await World.StartAsync();
        var state = await world.StartAsync(ConsentKind.SetupPermissions);

        var someoneElse = await world.Flow.CompleteAsync(new SignedInAccount(Contoso, DemoSeed.UserId, "Uma", "user@contoso.example"),
            ConsentKind.SetupPermissions, Query(state, Contoso));
        var unknown = await world.CompleteAsync(ConsentKind.SetupPermissions, "forged-state");

        Assert.Equal(ConsentRejection.NotYours, someoneElse.RejectedBecause);
        Assert.Equal(ConsentRejection.NotYours, unknown.RejectedBecause);
    }

    [Fact]
    public async Task An_answer_is_taken_once_and_only_in_time()
    {
        await using var world = await World.StartAsync();
        world.Harness.Sandbox.State.GrantAdminConsent(Contoso, AutomaticInstallHarness.SetupClientId, SetupPermissions.Names, []);
        var used = await world.StartAsync(ConsentKind.SetupPermissions);
        Assert.True((await world.CompleteAsync(ConsentKind.SetupPermissions, used)).IsGranted);
        var late = await world.StartAsync(ConsentKind.SetupPermissions);
        await using (var db = await world.Harness.DbAsync())
        {
            await db.ConsentRequests.Where(r => r.AnsweredAt == null).ExecuteUpdateAsync(s => s.SetProperty(r => r.ExpiresAt, DateTimeOffset.UtcNow.AddMinutes(-1)));
        }

        Assert.Equal(ConsentRejection.AlreadyAnswered, (await world.CompleteAsync(ConsentKind.SetupPermissions, used)).RejectedBecause);
        Assert.Equal(ConsentRejection.Expired, (await world.CompleteAsync(ConsentKind.SetupPermissions, late)).RejectedBecause);
    }

    [Fact]
    public async Task Accepted_but_not_all_permissions_granted_is_a_failure_that_names_the_missing_ones()
    {
        await using var world = await World.StartAsync();
        var state = await world.StartAsync(ConsentKind.SetupPermissions);
        world.Harness.Sandbox.State.GrantAdminConsent(Contoso, AutomaticInstallHarness.SetupClientId, ["Team.Create"], []);

        var answer = await world.CompleteAsync(ConsentKind.SetupPermissions, state);

        Assert.False(answer.IsGranted);
        Assert.Contains("TeamsTab.ReadWriteForTeam.All", answer.Failure!.Description, StringComparison.Ordinal);
        Assert.Null((await world.OrganizationAsync()).SetupPermissionsGrantedAt);
    }

    [Fact]
    public async Task A_cancel_is_recorded_with_microsofts_code_and_ids()
    {
        await using var world = await World.StartAsync();
        var state = await world.StartAsync(ConsentKind.SetupPermissions);

        var answer = await world.Flow.CompleteAsync(world.Account, ConsentKind.SetupPermissions, new Dictionary<string, string?>
        {
            ["state"] = state,
            ["error"] = "access_denied",
            ["error_description"] = "AADSTS65004: User declined to consent to access the app.\r\nTrace ID: t-1\r\nCorrelation ID: c-1\r\nTimestamp: 2026-11-27 05:00:00Z",
        });

        Assert.Equal(65004, answer.Failure!.Code);
        await using var db = await world.Harness.DbAsync();
        var recorded = await db.ConsentRequests.SingleAsync();
        Assert.Equal(ConsentOutcome.Failed, recorded.Outcome);
        Assert.Equal("c-1", recorded.CorrelationId);
    }

    private static Dictionary<string, string?> Query(string state, Guid tenant) => new()
    {
        ["admin_consent"] = "True",
        ["tenant"] = tenant.ToString(),
        ["state"] = state,
        ["scope"] = "https://graph.microsoft.com/.default",
    };

    private sealed class World : IAsyncDisposable
    {
        private readonly ServiceProvider services;

        private World(ReachabilityHarness harness, ServiceProvider services, Membership member)
        {
            Harness = harness;
            this.services = services;
            Member = member;
        }

        public ReachabilityHarness Harness { get; }

        public Membership Member { get; }

        public SignedInAccount Account => new(Contoso, Member.User.MicrosoftObjectId, Member.User.DisplayName, Member.User.UserPrincipalName);

        public AdminConsentFlow Flow => services.GetRequiredService<AdminConsentFlow>();

        public RecordingJobClient Jobs => services.GetRequiredService<RecordingJobClient>();

        public static async Task<World> StartAsync()
        {
            var harness = await ReachabilityHarness.StartAsync(settings: new Dictionary<string, string?>
            {
                ["SetupApp:ClientId"] = AutomaticInstallHarness.SetupClientId,
                ["SetupApp:ClientSecret"] = "setup-secret",
            });
            harness.Sandbox.RegisterApp(new AppRegistration
            {
                ClientId = AutomaticInstallHarness.SetupClientId,
                DisplayName = "IncidentIo setup (temporary)",
                ClientSecrets = ["setup-secret"],
                ApplicationPermissions = [.. SetupPermissions.Names],
            });
            var services = harness.BuildServices(extra =>
            {
                extra.AddAutomaticInstall(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["SetupApp:ClientId"] = AutomaticInstallHarness.SetupClientId,
                    ["SetupApp:ClientSecret"] = "setup-secret",
                    ["SetupApp:Instance"] = $"{harness.Sandbox.Origin}/",
                }).Build());
                extra.Configure<MicrosoftIdentityOptions>(OpenIdConnectDefaults.AuthenticationScheme, o =>
                {
                    o.Instance = $"{harness.Sandbox.Origin}/";
                    o.ClientId = ReachabilityHarness.MainClientId;
                });
                extra.AddSingleton(DispatchProxy.Create<ITokenAcquisition, JoinedTriggerTests.RefusingProxy>());
                extra.AddSingleton<AdminConsentFlow>();
            });
            await using var db = await services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>().CreateDbContextAsync();
            var organization = await db.Organizations.SingleAsync(o => o.Id == harness.OrganizationId);
            organization.GlobalPermissionsGrantedAt = null;
            var admin = await db.Users.SingleAsync(u => u.UserPrincipalName == "admin@contoso.example");
            admin.Role = UserRole.Owner;
            await db.SaveChangesAsync();
            return new World(harness, services, new Membership(organization, admin, false));
        }

        public async Task<string> StartAsync(ConsentKind kind)
        {
            var address = await Flow.StartAsync(Member, kind, Callback);
            return QueryHelpers.ParseQuery(address.Query)["state"]!;
        }

        public Task<ConsentAnswer> CompleteAsync(ConsentKind kind, string state, Guid? tenant = null) =>
            Flow.CompleteAsync(Account, kind, Query(state, tenant ?? Contoso));

        public async Task<Organization> OrganizationAsync()
        {
            await using var db = await Harness.DbAsync();
            return await db.Organizations.SingleAsync(o => o.Id == Harness.OrganizationId);
        }

        public async ValueTask DisposeAsync()
        {
            await services.DisposeAsync();
            await Harness.DisposeAsync();
        }
    }
}
