using System.Data.Common;
using IncidentIo.Domain.Announcements;
using IncidentIo.Domain.Bot;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Incidents;
using IncidentIo.Domain.Tests.Announcements;
using IncidentIo.Domain.Users;
using IncidentIo.Sandbox.State;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

using User = IncidentIo.Domain.Users.User;

namespace IncidentIo.Domain.Tests.Incidents;

/// <summary>Declaring and changing incidents on PostgreSQL: validation, numbering, roles, isolation, and nothing half-saved.</summary>
public sealed class IncidentServiceTests : IAsyncLifetime
{
    private AnnouncementHarness harness = null!;
    private User admin = null!;
    private User uma = null!;
    private User blake = null!;

    public async Task InitializeAsync()
    {
        harness = await AnnouncementHarness.StartAsync();
        admin = await harness.UserAsync(DemoSeed.AdminId);
        uma = await harness.UserAsync(DemoSeed.UserId);
        blake = await harness.UserAsync(DemoSeed.BlockedUserId);
    }

    public async Task DisposeAsync() => await harness.DisposeAsync();

    private async Task<(int Incidents, int Updates)> CountsAsync()
    {
        await using var db = await harness.DbAsync();
        return (await db.Incidents.CountAsync(), await db.IncidentUpdates.CountAsync());
    }

    [Fact]
    public async Task A_viewer_declares_an_incident_numbered_per_organisation_with_its_declared_update_queued_and_stays_a_viewer()
    {
        Assert.Equal(UserRole.Viewer, uma.Role);
        var first = await harness.DeclareAsync(uma.Id, uma.Id, f => { f.Type = "security"; f.IsPrivate = true; });
        var second = await harness.DeclareAsync(uma.Id, admin.Id);

        Assert.Equal(("INC-1", "INC-2"), (first.Reference, second.Reference));
        Assert.Equal(("Security", IncidentStatus.Investigating, true), (first.Type, first.Status, first.IsPrivate));
        Assert.Equal("Default", second.Type);
        await using var db = await harness.DbAsync();
        var update = await db.IncidentUpdates.SingleAsync(u => u.IncidentId == first.Id);
        Assert.Equal((IncidentUpdateKind.Declared, uma.Id, "SEV1", (DateTimeOffset?)null), (update.Kind, update.ActorUserId, update.To, update.ProcessedAt));
        Assert.Contains(update.Id, harness.QueuedUpdates());
        Assert.Equal(UserRole.Viewer, (await db.Users.SingleAsync(u => u.Id == uma.Id)).Role);
    }

    [Fact]
    public async Task Bad_forms_get_errors_per_field_and_save_nothing()
    {
        var otherOrganisationsUser = Guid.NewGuid();
        await using (var db = await harness.DbAsync())
        {
            await db.Users.Where(u => u.Id == blake.Id).ExecuteUpdateAsync(s => s.SetProperty(u => u.IsActive, false));
        }

        var service = harness.Incidents;
        var inactiveLead = await service.DeclareAsync(harness.OrganizationId, uma.Id, new DeclareIncident { Name = "x", LeadUserId = blake.Id });
        var strangerLead = await service.DeclareAsync(harness.OrganizationId, uma.Id, new DeclareIncident { Name = "x", LeadUserId = otherOrganisationsUser });
        var strangerDeclares = await service.DeclareAsync(Guid.NewGuid(), uma.Id, new DeclareIncident { Name = "x", LeadUserId = uma.Id });
        var everythingWrong = await service.DeclareAsync(harness.OrganizationId, uma.Id,
            new DeclareIncident { Name = " ", Summary = new string('s', 4001), Severity = (IncidentSeverity)9, Type = "Outage" });

        Assert.Equal("The lead must be an active member of your organisation.", inactiveLead.Errors[nameof(DeclareIncident.LeadUserId)]);
        Assert.Equal("The lead must be an active member of your organisation.", strangerLead.Errors[nameof(DeclareIncident.LeadUserId)]);
        Assert.Equal("You are not an active member of this organisation.", strangerDeclares.Errors[""]);
        Assert.Equal(
            [nameof(DeclareIncident.LeadUserId), nameof(DeclareIncident.Name), nameof(DeclareIncident.Severity), nameof(DeclareIncident.Summary), nameof(DeclareIncident.Type)],
            everythingWrong.Errors.Keys.Order());
        Assert.All([inactiveLead, strangerLead, strangerDeclares, everythingWrong], r => Assert.Null(r.Incident));
        Assert.Equal((0, 0), await CountsAsync());
        Assert.Empty(harness.QueuedUpdates());
    }

    [Fact]
    public async Task Ten_people_declaring_at_once_get_ten_different_numbers()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(i =>
            harness.Incidents.DeclareAsync(harness.OrganizationId, uma.Id, new DeclareIncident { Name = $"incident {i}", LeadUserId = uma.Id })));

        Assert.All(results, r => Assert.True(r.Succeeded));
        Assert.Equal(Enumerable.Range(1, 10), results.Select(r => r.Incident!.Number).Order());
        Assert.Equal(10, harness.QueuedUpdates().Distinct().Count());
    }

    [Fact]
    public async Task Changing_severity_and_status_records_each_update_makes_a_viewer_a_responder_and_resolving_closes_the_incident()
    {
        var incident = await harness.DeclareAsync(admin.Id, uma.Id);
        harness.QueuedUpdates();
        var service = harness.Incidents;

        var severity = await service.ChangeSeverityAsync(harness.OrganizationId, incident.Id, uma.Id, IncidentSeverity.Sev3);
        var fixing = await service.ChangeStatusAsync(harness.OrganizationId, incident.Id, uma.Id, IncidentStatus.Fixing);
        var same = await service.ChangeStatusAsync(harness.OrganizationId, incident.Id, uma.Id, IncidentStatus.Fixing);
        var resolved = await service.ChangeStatusAsync(harness.OrganizationId, incident.Id, admin.Id, IncidentStatus.Resolved);
        var afterwards = await service.ChangeSeverityAsync(harness.OrganizationId, incident.Id, admin.Id, IncidentSeverity.Sev1);

        Assert.True(severity.Succeeded && fixing.Succeeded && resolved.Succeeded);
        Assert.Equal("The incident is already Fixing.", same.Error);
        Assert.Equal("INC-1 is resolved: it can no longer change.", afterwards.Error);
        var details = await service.GetAsync(harness.OrganizationId, admin.Id, incident.Id);
        Assert.Equal(
            [(IncidentUpdateKind.Declared, null, "SEV1"), (IncidentUpdateKind.SeverityChanged, "SEV1", "SEV3"), (IncidentUpdateKind.StatusChanged, "Investigating", "Fixing"), (IncidentUpdateKind.Resolved, "Fixing", "Resolved")],
            details!.Updates.Select(u => (u.Kind, u.From, u.To)));
        Assert.Equal((IncidentSeverity.Sev3, IncidentStatus.Resolved), (details.Incident.Severity, details.Incident.Status));
        Assert.NotNull(details.Incident.ResolvedAt);
        Assert.Equal(3, harness.QueuedUpdates().Count);
        Assert.Equal(UserRole.Responder, (await harness.UserAsync(DemoSeed.UserId)).Role);
        Assert.Equal(UserRole.Admin, (await harness.UserAsync(DemoSeed.AdminId)).Role);
    }

    [Fact]
    public async Task Another_organisation_cannot_see_or_change_an_incident_and_private_ones_show_only_to_lead_declarer_and_admins()
    {
        var incident = await harness.DeclareAsync(admin.Id, uma.Id, f => f.IsPrivate = true);
        var service = harness.Incidents;

        Assert.Null(await service.GetAsync(Guid.NewGuid(), admin.Id, incident.Id));
        Assert.Equal("You are not an active member of this organisation.", (await service.ChangeSeverityAsync(Guid.NewGuid(), incident.Id, admin.Id, IncidentSeverity.Sev4)).Error);
        Assert.Equal("No such incident.", (await service.ChangeSeverityAsync(harness.OrganizationId, incident.Id, blake.Id, IncidentSeverity.Sev4)).Error);
        Assert.Null(await service.GetAsync(harness.OrganizationId, blake.Id, incident.Id));
        Assert.Empty(await service.ListActiveAsync(harness.OrganizationId, blake.Id));
        Assert.Single(await service.ListActiveAsync(harness.OrganizationId, uma.Id));
        Assert.Single(await service.ListActiveAsync(harness.OrganizationId, admin.Id));
        Assert.Empty(await service.ListActiveAsync(Guid.NewGuid(), admin.Id));
        Assert.Equal(IncidentSeverity.Sev1, (await harness.Incidents.GetAsync(harness.OrganizationId, admin.Id, incident.Id))!.Incident.Severity);
    }

    [Fact]
    public async Task When_saving_the_update_fails_neither_the_incident_nor_the_role_change_is_saved_and_nothing_is_queued()
    {
        var failing = new FailInsertInto("incident_updates");
        await using var services = harness.Reach.BuildServices(s =>
        {
            var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build();
            s.AddIncidentsAndAnnouncements(configuration).AddBot(configuration).AddSingleton<JobLog>().AddSingleton<Hangfire.IBackgroundJobClient>(sp => sp.GetRequiredService<JobLog>());
            s.ConfigureDbContext<PostgresIncidentIoDbContext>(o => o.AddInterceptors(failing));
        });
        var service = services.GetRequiredService<IncidentService>();
        var incident = await harness.DeclareAsync(admin.Id, uma.Id);
        failing.Armed = true;

        await Assert.ThrowsAsync<DbUpdateException>(() => service.DeclareAsync(harness.OrganizationId, uma.Id, new DeclareIncident { Name = "second", LeadUserId = uma.Id }));
        await Assert.ThrowsAsync<DbUpdateException>(() => service.ChangeStatusAsync(harness.OrganizationId, incident.Id, uma.Id, IncidentStatus.Fixing));

        Assert.True(failing.Failures >= 2);
        Assert.Equal((1, 1), await CountsAsync());
        var unchanged = (await harness.Incidents.GetAsync(harness.OrganizationId, admin.Id, incident.Id))!.Incident;
        Assert.Equal((IncidentStatus.Investigating, incident.Version), (unchanged.Status, unchanged.Version));
        Assert.Equal(UserRole.Viewer, (await harness.UserAsync(DemoSeed.UserId)).Role);
        Assert.Empty(services.GetRequiredService<JobLog>().Take(nameof(AnnouncementJobs.AnnounceAsync)));
    }

    /// <summary>Makes the database refuse inserts into one table, as a constraint or a lost connection would.</summary>
    private sealed class FailInsertInto(string table) : DbCommandInterceptor
    {
        public bool Armed { get; set; }

        public int Failures { get; private set; }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            if (Armed && command.CommandText.Contains($"INSERT INTO {table}", StringComparison.Ordinal))
            {
                Failures++;
                throw new InvalidOperationException($"Refused: insert into {table}.");
            }

            return base.ReaderExecutingAsync(command, eventData, result, cancellationToken);
        }

        public override ValueTask<InterceptionResult<int>> NonQueryExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            if (Armed && command.CommandText.Contains($"INSERT INTO {table}", StringComparison.Ordinal))
            {
                Failures++;
                throw new InvalidOperationException($"Refused: insert into {table}.");
            }

            return base.NonQueryExecutingAsync(command, eventData, result, cancellationToken);
        }
    }
}
