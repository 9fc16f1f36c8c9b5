using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Hangfire;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.Setup;
using IncidentIo.Domain.TeamsApp;
using IncidentIo.Domain.Users;
using IncidentIo.Portal.Hosting;
using IncidentIo.Sandbox.Hosting;
using IncidentIo.Sandbox.State;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Organization = IncidentIo.Domain.Organizations.Organization;
using User = IncidentIo.Domain.Users.User;

namespace IncidentIo.Portal.Tests.Bot;

/// <summary>
/// The real Portal on loopback https (Kestrel) with its embedded Sandbox, whose Teams channel
/// posts signed activities to our <c>/api/messages</c> by itself when Teams state changes. Contoso
/// is a customer that granted the global permissions; everyone in its directory is a Responder.
/// </summary>
public abstract class BotPortal : IAsyncLifetime
{
    public static readonly Guid Contoso = DemoSeed.ContosoTenantId;

    public PortalFactory Factory { get; private set; } = null!;

    public SandboxHost Sandbox { get; private set; } = null!;

    /// <summary>A client of the Portal's https address, trusting its certificate, never following redirects.</summary>
    public HttpClient Client { get; private set; } = null!;

    public Guid OrganizationId { get; private set; }

    public string BotId => Factory.Services.GetRequiredService<IOptions<TeamsAppOptions>>().Value.BotId;

    protected abstract Task<PortalFactory> CreateFactoryAsync();

    public async Task InitializeAsync()
    {
        Factory = (await CreateFactoryAsync())
            // Tests rotate the channel's keys and expect the new one to be picked up at once.
            .With("Bot:KeyRefreshMinInterval", "00:00:00");
        Factory.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(https =>
            https.ServerCertificateSelector = (_, _) => kestrel.ApplicationServices.GetRequiredService<LocalCertificates>().Server)));
        Factory.StartServer();

        var address = new Uri(Factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(Factory.Services.GetRequiredService<LocalCertificates>().Authority);
        Client = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy },
        })
        { BaseAddress = new Uri($"https://localhost:{address.Port}") };

        Sandbox = Factory.Services.GetRequiredService<EmbeddedSandbox>().Host;
        Sandbox.State.GrantAdminConsent(Contoso, SandboxDefaults.MainAppClientId, GlobalPermissions.Names, []);

        OrganizationId = Guid.NewGuid();
        await using var db = NewContext();
        db.Organizations.Add(new Organization
        {
            Id = OrganizationId,
            Name = "Contoso",
            MicrosoftTenantId = Contoso,
            SetupStage = SetupStage.TeamsAppInstalled,
            GlobalPermissionsGrantedAt = DateTimeOffset.UtcNow,
        });
        foreach (var person in Sandbox.State.Users(Contoso))
        {
            db.Users.Add(new User
            {
                OrganizationId = OrganizationId,
                MicrosoftObjectId = person.Id,
                DisplayName = person.DisplayName,
                UserPrincipalName = person.UserPrincipalName,
                Role = UserRole.Responder,
                CreatedAt = DateTimeOffset.UtcNow,
            });
        }

        await db.SaveChangesAsync();
    }

    public IncidentIoDbContext NewContext() => Factory.Services.GetRequiredService<IDbContextFactory<IncidentIoDbContext>>().CreateDbContext();

    public Guid SandboxUser(string upn) => Sandbox.State.FindUserByUpn(upn)!.Id;

    public async Task<User> UserAsync(string upn)
    {
        await using var db = NewContext();
        return await db.Users.AsNoTracking().SingleAsync(u => u.UserPrincipalName == upn);
    }

    public string ThreadOf(Guid teamId) => Sandbox.State.Teams.FindTeam(Contoso, teamId)!.GeneralChannelId;

    /// <summary>Our app's id in Contoso's catalog (the embedded Sandbox publishes it).</summary>
    public Guid CatalogAppId(TeamsAppOptions? app = null) =>
        Sandbox.State.Teams.CatalogApps(Contoso).Single(a => a.ManifestId == (app ?? Factory.Services.GetRequiredService<IOptions<TeamsAppOptions>>().Value).AppId).Id;

    /// <summary>Installs our app in a team through Teams state and waits until the channel has told our bot.</summary>
    public async Task InstallInTeamAsync(Guid teamId)
    {
        Assert.NotNull(Sandbox.State.Teams.InstallInTeam(Contoso, teamId, CatalogAppId()));
        await Sandbox.Bot.Relay.WhenIdleAsync();
    }

    /// <summary>An activity as the channel would post it for Contoso: installationUpdate add in the team.</summary>
    public JsonObject TeamInstallActivity(string threadId, Guid? tenantId = null) => new()
    {
        ["type"] = "installationUpdate",
        ["action"] = "add",
        ["id"] = $"f:{Guid.NewGuid()}",
        ["channelId"] = "msteams",
        ["serviceUrl"] = Sandbox.Bot.ServiceUrl,
        ["from"] = new JsonObject { ["id"] = "29:someone", ["aadObjectId"] = DemoSeed.AdminId.ToString() },
        ["recipient"] = new JsonObject { ["id"] = $"28:{BotId}" },
        ["conversation"] = new JsonObject { ["isGroup"] = true, ["conversationType"] = "channel", ["tenantId"] = (tenantId ?? Contoso).ToString(), ["id"] = threadId },
        ["channelData"] = new JsonObject { ["team"] = new JsonObject { ["id"] = threadId }, ["tenant"] = new JsonObject { ["id"] = (tenantId ?? Contoso).ToString() } },
    };

    public async Task<HttpResponseMessage> PostAsync(string? token, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/messages") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (token is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        return await Client.SendAsync(request);
    }

    /// <summary>Everything an accepted activity could have changed, to compare before and after a refused one.</summary>
    /// <summary>
    /// The stored state once the work an earlier event started (a team's roster read and the installs
    /// it queues) has stopped changing it: a "nothing changed" check must not count that work.
    /// </summary>
    public async Task<string> SettledStateAsync()
    {
        var state = await StoredStateAsync();
        for (var i = 0; i < 30; i++)
        {
            await Task.Delay(500);
            var again = await StoredStateAsync();
            if (again == state)
            {
                return state;
            }

            state = again;
        }

        return state;
    }

    public async Task<string> StoredStateAsync()
    {
        await using var db = NewContext();
        var organization = await db.Organizations.AsNoTracking().SingleAsync(o => o.Id == OrganizationId);
        var users = await db.Users.AsNoTracking().Where(u => u.OrganizationId == OrganizationId)
            .OrderBy(u => u.MicrosoftObjectId).Select(u => $"{u.MicrosoftObjectId}:{u.IsActive}:{u.Role}:{u.BotConversationId}:{u.AppInstallation.State}").ToListAsync();
        return string.Join('\n',
            $"bot_teams={await db.BotTeams.CountAsync()}",
            $"bot_received_activities={await db.BotReceivedActivities.CountAsync()}",
            $"audit_log={await db.AuditLog.CountAsync()}",
            $"app_installation_attempts={await db.AppInstallationAttempts.CountAsync()}",
            $"bot_service_url={organization.BotServiceUrl}",
            $"jobs={JobsOtherThanHeartbeats()}",
            string.Join('\n', users));
    }

    /// <summary>Hangfire jobs a test's actions could have queued: not the heartbeat's, not the recurring jobs' runs.</summary>
    public int JobsOtherThanHeartbeats() =>
        Security.StoredState.JobsOtherThanHeartbeats(Factory.Services.GetRequiredService<JobStorage>(), skipRecurringRuns: true);

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (Factory is not null)
        {
            await Factory.DisposeAsync();
        }
    }
}

public sealed class SqliteBotPortal : BotPortal
{
    protected override Task<PortalFactory> CreateFactoryAsync() => Task.FromResult(PortalFactory.OnSqlite());
}

public sealed class PostgresBotPortal : BotPortal
{
    protected override Task<PortalFactory> CreateFactoryAsync() => PortalFactory.OnPostgresAsync();
}

/// <summary>A Portal whose channel metadata address answers nothing useful (404 from the Sandbox).</summary>
public sealed class UnreadableMetadataBotPortal : BotPortal
{
    protected override Task<PortalFactory> CreateFactoryAsync() =>
        Task.FromResult(PortalFactory.OnSqlite().With("Bot:OpenIdMetadataUrl", "https://login.botframework.com/v1/.well-known/not-here"));
}
