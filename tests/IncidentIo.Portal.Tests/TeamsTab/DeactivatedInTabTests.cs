using Bunit;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.Setup;
using IncidentIo.Domain.TeamsApp;
using IncidentIo.Domain.Users;
using IncidentIo.Portal.TeamsTab;
using IncidentIo.Portal.Tests.Support;
using IncidentIo.Sandbox.Hosting;
using IncidentIo.Sandbox.State;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

using User = IncidentIo.Domain.Users.User;

namespace IncidentIo.Portal.Tests.TeamsTab;

/// <summary>
/// Our tab in Teams, for a deactivated person whose Teams SSO token is genuine (signed with the
/// Sandbox's Entra keys, checked through its OpenID metadata): told why and what fixes it, no form.
/// </summary>
public sealed class DeactivatedInTabTests(SupportWorld world) : BunitContext, IClassFixture<SupportWorld>, IAsyncLifetime
{
    private const string TabAppId = "8d3f2b6e-4c1a-4e57-9b0d-2f6a7c9e1d03";
    private const string Reason = "Not a member of Incidents, in the sweep of 2026-12-01 03:00:00Z (run 7aa1).";
    private readonly string dataFolder = Directory.CreateTempSubdirectory("incidentio-tab-").FullName;
    private SandboxHost sandbox = null!;
    private ServiceProvider microsoft = null!;

    public async Task InitializeAsync()
    {
        var certificates = LocalCertificates.LoadOrCreate(new DataFolder(dataFolder));
        sandbox = await SandboxHost.StartAsync(new SandboxOptions { ServerCertificate = certificates.Server });
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Microsoft:Mode"] = "Sandbox",
            ["Microsoft:SandboxOrigin"] = sandbox.Origin,
            ["AzureAd:Instance"] = sandbox.Origin + "/",
            ["TeamsApp:TabSsoAppId"] = TabAppId,
            ["TeamsApp:PortalHost"] = "incidents.example.com",
        }).Build();
        var collection = new ServiceCollection().AddLogging().AddSingleton(new DataFolder(dataFolder)).AddSingleton(certificates)
            .AddSingleton<IConfiguration>(configuration).AddSingleton(TimeProvider.System);
        collection.AddOptions<MicrosoftOptions>().Bind(configuration.GetSection("Microsoft"));
        collection.AddMicrosoftHttp().AddTeamsAppPackage(configuration);
        microsoft = collection.BuildValidated();

        // Contoso (the Sandbox's tenant) has set us up; Uma was deactivated by a sweep.
        await using var db = world.NewContext();
        var contoso = new Organization { Name = "Contoso Sandbox", MicrosoftTenantId = DemoSeed.ContosoTenantId, CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow };
        var uma = new User { OrganizationId = contoso.Id, MicrosoftObjectId = DemoSeed.UserId, DisplayName = "Uma User", UserPrincipalName = "user@contoso.example", Role = UserRole.Responder, CreatedAt = DateTimeOffset.UtcNow };
        uma.Deactivate(Reason, DateTimeOffset.UtcNow);
        db.AddRange(contoso, uma);
        await db.SaveChangesAsync();
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await DisposeAsync();
        await microsoft.DisposeAsync();
        await sandbox.DisposeAsync();
        Directory.Delete(dataFolder, recursive: true);
    }

    private string UmasToken()
    {
        var now = DateTimeOffset.UtcNow;
        var key = sandbox.SigningKeys.Current;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Claims = new Dictionary<string, object>
            {
                ["iss"] = $"{sandbox.Origin}/{DemoSeed.ContosoTenantId}/v2.0", ["aud"] = TabAppId, ["tid"] = DemoSeed.ContosoTenantId.ToString(),
                ["oid"] = DemoSeed.UserId.ToString(), ["name"] = "Uma User", ["preferred_username"] = "user@contoso.example", ["scp"] = "access_as_user",
                ["azp"] = "5e3ce6c0-2b1f-4285-8d4b-75ee78787346", ["ver"] = "2.0", ["nbf"] = now.AddMinutes(-1).ToUnixTimeSeconds(), ["iat"] = now.AddMinutes(-1).ToUnixTimeSeconds(), ["exp"] = now.AddMinutes(59).ToUnixTimeSeconds(),
            },
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key.Rsa) { KeyId = key.KeyId }, SecurityAlgorithms.RsaSha256),
        });
    }

    [Fact]
    public async Task A_deactivated_person_in_our_tab_is_told_why_and_what_fixes_it_instead_of_a_form()
    {
        var signIn = new TeamsTabSignIn(microsoft.GetRequiredService<TeamsSsoTokens>(), world.Host.Services.GetRequiredService<OrganizationOnboarding>(),
            world.Host.Services.GetRequiredService<IDbContextFactory<IncidentIo.Domain.Data.IncidentIoDbContext>>());
        var session = await signIn.SignInAsync(UmasToken());
        Assert.NotNull(session.Deactivated);

        world.AddTo(this, null);
        Services.AddSingleton(signIn);
        JSInterop.SetupModule("./teams-tab.js")
            .Setup<TeamsTabPage.TeamsConnection>("connect", _ => true)
            .SetResult(new TeamsTabPage.TeamsConnection(true, UmasToken(), null, null, "Incidents", "General"));

        var tab = Render<TeamsTabPage>();

        tab.WaitForAssertion(() => Assert.Contains("You are deactivated in Contoso Sandbox", tab.Find("[data-testid=deactivated]").TextContent, StringComparison.Ordinal), TimeSpan.FromSeconds(15));
        Assert.Contains(Reason, tab.Find("[data-testid=deactivated-reason]").TextContent, StringComparison.Ordinal);
        Assert.NotNull(tab.Find("[data-testid=deactivated-add-app-steps]"));
        Assert.Contains(DemoSeed.UserId.ToString(), Uri.UnescapeDataString(tab.Find("[data-testid=deactivated-support] [data-testid=contact-support]").GetAttribute("href")!), StringComparison.Ordinal);
        Assert.Empty(tab.FindAll("[data-testid=declare-submit]"));
        Assert.Empty(tab.FindAll("[data-testid=tab-problem]"));
    }
}
