using System.Security.Claims;
using Bunit;
using IncidentIo.Domain;
using IncidentIo.Domain.Setup;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.Reachability;
using IncidentIo.Domain.TeamsApp;
using IncidentIo.Domain.Users;
using IncidentIo.Portal.Setup;
using IncidentIo.Portal.Support;
using IncidentIo.Portal.Tests.Setup;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Web;
using MudBlazor.Services;

namespace IncidentIo.Portal.Tests.Support;

/// <summary>
/// The product's real services (Domain on SQLite, no job server, no Microsoft) with two customer
/// organisations and our staff, made once per test class the way people arrive: the tenant's Microsoft
/// admin signs in and owns its organisation (their sign-in shows the role), a second person joins as viewer; other people of the
/// organisations are the ones the bot needs to reach.
/// </summary>
public sealed class SupportWorld : IAsyncLifetime
{
    private readonly string dataFolder = Directory.CreateTempSubdirectory("incidentio-support-").FullName;

    public IHost Host { get; private set; } = null!;

    public ClaimsPrincipal Staff { get; } = StaffMember("Sam Staff", "staff@incidentio.example");

    public ClaimsPrincipal ContosoAdmin { get; } = MicrosoftAdmin(Guid.NewGuid(), "Adele Admin", "admin@contoso.example");

    public ClaimsPrincipal ContosoViewer { get; private set; } = null!;

    public ClaimsPrincipal FabrikamAdmin { get; } = MicrosoftAdmin(Guid.NewGuid(), "Fiona Fabrikam", "admin@fabrikam.example");

    public Guid Contoso { get; private set; }

    public Guid Fabrikam { get; private set; }

    /// <summary>Contoso: blocked by an app permission policy, with a few attempts recorded.</summary>
    public Guid Blocked { get; private set; }

    /// <summary>Contoso: our app installed and confirmed.</summary>
    public Guid Installed { get; private set; }

    /// <summary>Fabrikam: the person another organisation's admin must never see.</summary>
    public Guid FabrikamSecret { get; private set; }

    public SupportConsole Console => Host.Services.GetRequiredService<SupportConsole>();

    public SupportAccess Access => Host.Services.GetRequiredService<SupportAccess>();

    public IncidentIoDbContext NewContext() => Host.Services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>().CreateDbContext();

    public async Task InitializeAsync()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Configuration["DataFolder"] = dataFolder;
        builder.AddIncidentIoDomain("portal", runJobServer: false);
        builder.Services.AddSetupFlows();
        builder.Services.AddSupportContact(builder.Configuration);
        builder.Services.AddSupportConsole();
        // No Microsoft here: reading a tenant's name at first sign-in fails and falls back to the domain.
        builder.Services.AddSingleton(NoMicrosoftCalls.Create<ITokenAcquisition>());
        Host = builder.Build();
        await Host.Services.PrepareIncidentIoAsync();

        Contoso = (await Access.OpenAsync(ContosoAdmin)).OrganizationId!.Value;
        Fabrikam = (await Access.OpenAsync(FabrikamAdmin)).OrganizationId!.Value;
        ContosoViewer = Person(ContosoAdmin.GetTenantId()!, "Uma User", "user@contoso.example");
        await Access.OpenAsync(ContosoViewer);

        var blocked = await AddPersonAsync(Contoso, "Blake Blocked", "blocked@contoso.example", InstallationState.BlockedByPolicy,
            "A Teams app permission policy blocks IncidentIo for this user. In the Teams admin center → Teams apps → Permission policies, allow IncidentIo in the policy assigned to them.");
        Blocked = blocked.Id;
        Installed = (await AddPersonAsync(Contoso, "Ian Installed", "ian@contoso.example", InstallationState.Installed, null)).Id;
        FabrikamSecret = (await AddPersonAsync(Fabrikam, "Fabrikam Secret", "secret@fabrikam.example", InstallationState.BlockedByPolicy, "Fabrikam's own trouble.")).Id;

        await using var db = NewContext();
        for (var i = 0; i < 3; i++)
        {
            db.AppInstallationAttempts.Add(new AppInstallationAttempt
            {
                UserId = Blocked,
                OrganizationId = Contoso,
                At = DateTimeOffset.UtcNow.AddMinutes(i - 10),
                Action = "install",
                Trigger = "retry",
                Status = 403,
                ErrorCode = "Forbidden",
                Message = "App is blocked by app permission policy.",
                RequestId = $"request-{i}",
                Outcome = InstallationState.BlockedByPolicy,
            });
        }

        await db.SaveChangesAsync();
    }

    /// <summary>Someone of the organisation who has not signed in (found in Teams), in the given state.</summary>
    public async Task<User> AddPersonAsync(Guid organizationId, string name, string upn, InstallationState state, string? lastError)
    {
        var now = DateTimeOffset.UtcNow;
        var user = new User
        {
            OrganizationId = organizationId,
            MicrosoftObjectId = Guid.NewGuid(),
            DisplayName = name,
            UserPrincipalName = upn,
            CreatedAt = now,
            AppInstallation = new UserAppInstallation
            {
                State = state,
                ChangedAt = state == InstallationState.NotInstalled ? null : now,
                VerifiedAt = state == InstallationState.Installed ? now : null,
                LastStatus = state == InstallationState.BlockedByPolicy ? 403 : null,
                LastErrorCode = state == InstallationState.BlockedByPolicy ? "Forbidden" : null,
                LastError = lastError,
            },
        };
        await using var db = NewContext();
        db.Users.Add(user);
        await db.SaveChangesAsync();
        return user;
    }

    /// <summary>A signed-in Microsoft account as Identity.Web leaves it: tenant, object id, name, sign-in name.</summary>
    public static ClaimsPrincipal Person(string tenantId, string name, string upn) => Person(Guid.Parse(tenantId), name, upn);

    public static ClaimsPrincipal Person(Guid tenantId, string name, string upn, params Claim[] more) => new(new ClaimsIdentity(
    [
        new Claim("tid", tenantId.ToString()),
        new Claim("oid", Guid.NewGuid().ToString()),
        new Claim("name", name),
        new Claim("preferred_username", upn),
        .. more,
    ], authenticationType: "test"));

    /// <summary>A sign-in of a person already known by their object id.</summary>
    public static ClaimsPrincipal PersonWithObjectId(Guid tenantId, Guid objectId, string name, string upn) => new(new ClaimsIdentity(
    [
        new Claim("tid", tenantId.ToString()),
        new Claim("oid", objectId.ToString()),
        new Claim("name", name),
        new Claim("preferred_username", upn),
    ], authenticationType: "test"));

    /// <summary>Someone whose sign-in names the Global Administrator role (<c>wids</c>): the first of them owns the organisation.</summary>
    public static ClaimsPrincipal MicrosoftAdmin(Guid tenantId, string name, string upn) =>
        Person(tenantId, name, upn, new Claim("wids", MicrosoftAdminRoles.GlobalAdministrator));

    /// <summary>A member of our staff tenant with the staff app role.</summary>
    public static ClaimsPrincipal StaffMember(string name, string upn) =>
        Person(new Guid(SandboxDefaults.StaffTenantId), name, upn, new Claim("roles", "Support.Staff"), new Claim("acct", "0"));

    /// <summary>MudBlazor, loose JS, these services behind bUnit's own, and <paramref name="who"/> signed in (or nobody).</summary>
    public void AddTo(BunitContext context, ClaimsPrincipal? who)
    {
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        context.Services.AddMudServices();
        // bUnit's own container answers IOptions<T> with defaults; pages must see the configured ones.
        context.Services.AddSingleton(Host.Services.GetRequiredService<IOptions<SupportOptions>>());
        context.Services.AddSingleton(Host.Services.GetRequiredService<IOptions<TeamsAppOptions>>());
        context.Services.AddFallbackServiceProvider(Host.Services);
        var authorization = context.AddAuthorization();
        if (who is not null)
        {
            authorization.SetAuthorized(who.FindFirst("name")!.Value);
            authorization.SetClaims([.. who.Claims]);
        }
    }

    public Task DisposeAsync()
    {
        Host.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(dataFolder, recursive: true);
        return Task.CompletedTask;
    }
}
