using IncidentIo.Domain.Announcements;
using IncidentIo.Domain.Bot;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.Incidents;
using IncidentIo.Domain.TeamsApp;
using IncidentIo.Domain.Tests.Reachability;
using IncidentIo.Domain.Users;

using IncidentIo.Sandbox.State;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

using User = IncidentIo.Domain.Users.User;

namespace IncidentIo.Domain.Tests.Announcements;

/// <summary>
/// Incidents and announcing with the product's wiring (EF Core on PostgreSQL, the bot connector
/// with MSAL, Graph for per-user installs) against a Sandbox where our bot is registered, our app
/// is in Contoso's catalog and installed in the "Incidents" team (a <see cref="BotTeam"/> row
/// says so) and for Uma, and Contoso's admin is an Admin. Jobs are recorded, not run: a test runs
/// the one it means to.
/// </summary>
public sealed class AnnouncementHarness : IAsyncDisposable
{
    public const string BotSecret = "bot-secret";

    private static readonly Dictionary<string, string?> Configuration = new()
    {
        ["Bot:ClientSecret"] = BotSecret,
        ["Announcements:InstallCheckInterval"] = "00:00:00.100",
        // Long enough that "not due yet" is still true after the rest of an announcement is sent on a busy machine.
        ["Announcements:FirstBackoff"] = "00:00:01",
        ["Announcements:LeaseDuration"] = "00:00:10",
        ["Announcements:MaxAttempts"] = "3",
        // The connector's own retries are tested with the connector; here, the announcing job's.
        ["Bot:Connector:MaxRetries"] = "0",
    };

    private AnnouncementHarness(ReachabilityHarness reach, Team team, BotTeam botTeam, IReadOnlyDictionary<string, string?> settings)
    {
        Reach = reach;
        Team = team;
        BotTeam = botTeam;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        Services = reach.BuildServices(s =>
        {
            s.AddBot(configuration).AddIncidentsAndAnnouncements(configuration)
                .AddSingleton<JobLog>().AddSingleton<Hangfire.IBackgroundJobClient>(sp => sp.GetRequiredService<JobLog>())
                .AddTransient<FlakyConnector>().AddSingleton(Flaky);
            s.AddHttpClient(IncidentIo.Domain.MicrosoftCloud.MicrosoftHttp.ClientName).AddHttpMessageHandler<FlakyConnector>();
        });
    }

    public ReachabilityHarness Reach { get; }

    /// <summary>Makes the connector answer sends with a transient error, as Teams does under load.</summary>
    public FlakySends Flaky { get; } = new();

    public ServiceProvider Services { get; }

    public Guid OrganizationId => Reach.OrganizationId;

    public Team Team { get; }

    public BotTeam BotTeam { get; }

    public IncidentService Incidents => Services.GetRequiredService<IncidentService>();

    public AnnouncementSettings Settings => Services.GetRequiredService<AnnouncementSettings>();

    public AnnouncementJobs Jobs => Services.GetRequiredService<AnnouncementJobs>();

    public JobLog Queue => Services.GetRequiredService<JobLog>();

    public IncidentIo.Sandbox.BotFramework.ActivityLog Posted => Reach.Sandbox.Bot.Activities;

    public static async Task<AnnouncementHarness> StartAsync(string provider = DatabaseOptions.Postgres, bool withTeam = true, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var merged = new Dictionary<string, string?>(Configuration);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            merged[key] = value;
        }

        var reach = await ReachabilityHarness.StartAsync(provider, settings: merged);
        var sandbox = reach.Sandbox;
        var teamsApp = new TeamsAppOptions();
        sandbox.RegisterApp(new AppRegistration { ClientId = teamsApp.BotId, DisplayName = "IncidentIo Bot", ClientSecrets = [BotSecret] });
        sandbox.Bot.RegisterBot(new IncidentIo.Sandbox.BotFramework.BotRegistration { AppId = teamsApp.BotId, Name = "IncidentIo" });
        var app = sandbox.State.Teams.CatalogApps(ReachabilityHarness.Contoso).Single(a => a.ManifestId == teamsApp.AppId);
        sandbox.State.Teams.InstallForUser(ReachabilityHarness.Contoso, DemoSeed.UserId, app.Id, awaitingTeamsClient: false);
        var team = sandbox.State.Teams.CreateTeam(ReachabilityHarness.Contoso, "Incidents", null, [(DemoSeed.AdminId, true), (DemoSeed.UserId, false)]);
        sandbox.State.Teams.InstallInTeam(ReachabilityHarness.Contoso, team.Id, app.Id);

        await using var db = await reach.DbAsync();
        var botTeam = new BotTeam
        {
            OrganizationId = reach.OrganizationId, TeamThreadId = team.GeneralChannelId, GraphTeamId = team.Id, Name = "Incidents",
            ServiceUrl = sandbox.Bot.ServiceUrl, InstalledAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
        };
        if (withTeam)
        {
            db.BotTeams.Add(botTeam);
        }

        await db.Organizations.Where(o => o.Id == reach.OrganizationId).ExecuteUpdateAsync(s => s.SetProperty(o => o.BotServiceUrl, sandbox.Bot.ServiceUrl));
        await db.Users.Where(u => u.MicrosoftObjectId == DemoSeed.AdminId).ExecuteUpdateAsync(s => s.SetProperty(u => u.Role, UserRole.Admin));
        await db.SaveChangesAsync();
        return new AnnouncementHarness(reach, team, botTeam, merged);
    }

    public async Task<User> UserAsync(Guid objectId)
    {
        await using var db = await Reach.DbAsync();
        return await db.Users.SingleAsync(u => u.MicrosoftObjectId == objectId);
    }

    public Task<IncidentIoDbContext> DbAsync() => Reach.DbAsync();

    public async Task<Incident> DeclareAsync(Guid declarer, Guid lead, Action<DeclareIncident>? change = null)
    {
        var form = new DeclareIncident { Name = "Checkout down", Summary = "Payments fail", Severity = IncidentSeverity.Sev1, LeadUserId = lead };
        change?.Invoke(form);
        var result = await Incidents.DeclareAsync(OrganizationId, declarer, form);
        Assert.True(result.Succeeded, string.Join("; ", result.Errors.Select(e => $"{e.Key}: {e.Value}")));
        return result.Incident!;
    }

    public async Task<AnnouncementRule> AddRuleAsync(Guid adminId, Action<AnnouncementRuleForm>? change = null)
    {
        var form = new AnnouncementRuleForm { Name = $"rule {Guid.NewGuid():N}"[..12], BotTeamId = BotTeam.Id };
        change?.Invoke(form);
        var saved = await Settings.SaveAsync(OrganizationId, adminId, null, form);
        Assert.True(saved.Succeeded, string.Join("; ", saved.Errors.Select(e => $"{e.Key}: {e.Value}")));
        return saved.Rule!;
    }

    /// <summary>The updates the announcing job was queued for since the last call.</summary>
    public List<Guid> QueuedUpdates() => Queue.Take(nameof(AnnouncementJobs.AnnounceAsync)).Select(j => (Guid)j.Args[0]!).ToList();

    public async Task<List<AnnouncementDelivery>> DeliveriesAsync(Guid incidentId)
    {
        await using var db = await Reach.DbAsync();
        return await db.AnnouncementDeliveries.Where(d => d.IncidentId == incidentId).OrderBy(d => d.CreatedAt).ToListAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        await Reach.DisposeAsync();
    }
}

/// <summary>Jobs enqueued or scheduled, kept per method until taken.</summary>
public sealed class JobLog : Hangfire.IBackgroundJobClient
{
    private readonly List<Hangfire.Common.Job> jobs = [];

    public string Create(Hangfire.Common.Job job, Hangfire.States.IState state)
    {
        lock (jobs)
        {
            jobs.Add(job);
            return jobs.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    public bool ChangeState(string jobId, Hangfire.States.IState state, string expectedState) => true;

    /// <summary>Jobs recorded and not yet taken.</summary>
    public int Count
    {
        get
        {
            lock (jobs)
            {
                return jobs.Count;
            }
        }
    }

    /// <summary>The jobs of <paramref name="method"/> since it was last taken; others stay.</summary>
    public List<Hangfire.Common.Job> Take(string method)
    {
        lock (jobs)
        {
            var taken = jobs.Where(j => j.Method.Name == method).ToList();
            jobs.RemoveAll(j => j.Method.Name == method);
            return taken;
        }
    }
}

/// <summary>How many sends the connector refuses next, and with what.</summary>
public sealed class FlakySends
{
    public int FailNext { get; set; }

    public System.Net.HttpStatusCode Status { get; set; } = System.Net.HttpStatusCode.ServiceUnavailable;
}

/// <summary>Answers sends (POST …/activities) with <see cref="FlakySends.Status"/> while <see cref="FlakySends.FailNext"/> lasts, before they reach the Sandbox.</summary>
public sealed class FlakyConnector(FlakySends flaky) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method == HttpMethod.Post && request.RequestUri!.AbsolutePath.EndsWith("/activities", StringComparison.Ordinal) && flaky.FailNext > 0)
        {
            flaky.FailNext--;
            var response = new HttpResponseMessage(flaky.Status)
            {
                Content = new StringContent("""{"error":{"code":"ServiceError","message":"Try again later."}}""", System.Text.Encoding.UTF8, "application/json"),
            };
            response.Headers.Add("X-Correlating-OperationId", "flaky-1");
            return Task.FromResult(response);
        }

        return base.SendAsync(request, cancellationToken);
    }
}
