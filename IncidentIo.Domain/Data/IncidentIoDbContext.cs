using System.Text;
using IncidentIo.Domain.ActiveUsers;
using IncidentIo.Domain.Announcements;
using IncidentIo.Domain.Audit;
using IncidentIo.Domain.Bot;
using IncidentIo.Domain.Bot.Declare;
using IncidentIo.Domain.Bot.Inbound;
using IncidentIo.Domain.Incidents;
using IncidentIo.Domain.Jobs;
using IncidentIo.Domain.Leasing;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.People;
using IncidentIo.Domain.Reachability;
using IncidentIo.Domain.Setup;
using IncidentIo.Domain.Setup.AutomaticInstall;
using IncidentIo.Domain.Users;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace IncidentIo.Domain.Data;

/// <summary>
/// The product's one model. Each database provider has a subclass of its own
/// (<see cref="SqliteIncidentIoDbContext"/>, <see cref="PostgresIncidentIoDbContext"/>) so that
/// each keeps its own migration set.
/// </summary>
public abstract class IncidentIoDbContext(DbContextOptions options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<Organization> Organizations => Set<Organization>();

    public DbSet<Plan> Plans => Set<Plan>();

    public DbSet<User> Users => Set<User>();

    public DbSet<AuditLogEntry> AuditLog => Set<AuditLogEntry>();

    public DbSet<JobHeartbeat> JobHeartbeats => Set<JobHeartbeat>();

    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<ConsentRequest> ConsentRequests => Set<ConsentRequest>();

    public DbSet<TokenCacheEntry> TokenCache => Set<TokenCacheEntry>();

    public DbSet<AutomaticInstall> AutomaticInstalls => Set<AutomaticInstall>();

    public DbSet<AppInstallationAttempt> AppInstallationAttempts => Set<AppInstallationAttempt>();

    public DbSet<GraphPace> GraphPaces => Set<GraphPace>();

    public DbSet<SweepRun> SweepRuns => Set<SweepRun>();

    public DbSet<BotTeam> BotTeams => Set<BotTeam>();

    public DbSet<Incident> Incidents => Set<Incident>();

    public DbSet<IncidentUpdate> IncidentUpdates => Set<IncidentUpdate>();

    public DbSet<AnnouncementRule> AnnouncementRules => Set<AnnouncementRule>();

    public DbSet<AnnouncementDelivery> AnnouncementDeliveries => Set<AnnouncementDelivery>();

    public DbSet<BotReceivedActivity> BotReceivedActivities => Set<BotReceivedActivity>();

    public DbSet<TeamRosterRead> TeamRosterReads => Set<TeamRosterRead>();

    public DbSet<BotDeclaration> BotDeclarations => Set<BotDeclaration>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Organization>(organization =>
        {
            organization.ToTable("organizations");
            organization.Property(o => o.Name).HasMaxLength(Organization.NameMaxLength);
            organization.HasIndex(o => o.MicrosoftTenantId).IsUnique();
            organization.Property(o => o.BotServiceUrl).HasMaxLength(BotTeam.ServiceUrlMaxLength);
            organization.Property(o => o.SetupStage).HasConversion<string>().HasMaxLength(40);
            organization.Property(o => o.TeamsAppCatalogId).HasMaxLength(100);
            organization.Property(o => o.TeamsAppOtherCatalogId).HasMaxLength(100);
            organization.Property(o => o.TeamsAppDistribution).HasMaxLength(20);
            organization.HasOne(o => o.Plan).WithMany().HasForeignKey(o => o.PlanCode).OnDelete(DeleteBehavior.Restrict);
        });

        modelBuilder.Entity<Plan>(plan =>
        {
            plan.ToTable("plans");
            plan.HasKey(p => p.Code);
            plan.Property(p => p.Code).HasMaxLength(40);
            plan.Property(p => p.Name).HasMaxLength(100);
            plan.Property(p => p.Summary).HasMaxLength(400);
            // One line per item in a text column: reads the same in both databases, and compares
            // by value so the seed data below does not look changed on every model build.
            plan.Property(p => p.Includes).HasConversion(
                includes => string.Join('\n', includes),
                text => text.Split('\n', StringSplitOptions.None).ToList(),
                new ValueComparer<List<string>>(
                    (a, b) => a!.SequenceEqual(b!),
                    list => list.Aggregate(0, (hash, item) => HashCode.Combine(hash, item.GetHashCode(StringComparison.Ordinal))),
                    list => list.ToList()));
            plan.HasData(Plan.All.Select(p => new Plan
            {
                Code = p.Code,
                Name = p.Name,
                Summary = p.Summary,
                Includes = [.. p.Includes],
                SortOrder = p.SortOrder,
            }));
        });

        modelBuilder.Entity<User>(user =>
        {
            user.ToTable("users");
            user.HasOne(u => u.Organization).WithMany(o => o.Users).HasForeignKey(u => u.OrganizationId);
            user.HasIndex(u => new { u.OrganizationId, u.MicrosoftObjectId }).IsUnique();
            user.Property(u => u.DisplayName).HasMaxLength(User.DisplayNameMaxLength);
            user.Property(u => u.UserPrincipalName).HasMaxLength(User.UserPrincipalNameMaxLength);
            user.Property(u => u.BotConversationId).HasMaxLength(User.BotConversationIdMaxLength);
            user.Property(u => u.BotTeamName).HasMaxLength(User.BotTeamNameMaxLength);
            user.Property(u => u.Role).HasConversion<string>().HasMaxLength(20);
            user.Property(u => u.RoleBeforeDeactivation).HasConversion<string>().HasMaxLength(20);
            user.Property(u => u.DeactivationReason).HasMaxLength(2000);
            // The support console's keyset reads: organisation, then the filter it narrows by, then
            // the sort key and the id that breaks ties (see ReachabilityDirectory).
            user.HasIndex(u => new { u.OrganizationId, u.DisplayName, u.Id });
            user.HasIndex(u => new { u.OrganizationId, u.UserPrincipalName, u.Id });
            user.HasIndex(u => new { u.OrganizationId, u.Role, u.DisplayName, u.Id });
            // The indexes that lead with the installation's state or last change are created by the
            // KeysetPagingIndexes migrations in SQL: a model index cannot mix owner and owned columns.
            user.OwnsOne(u => u.AppInstallation, installation =>
            {
                installation.Property(i => i.State).HasConversion<string>().HasMaxLength(30);
                installation.Property(i => i.LastErrorCode).HasMaxLength(100);
                installation.Property(i => i.LastError).HasMaxLength(2000);
                installation.Property(i => i.LastRequestId).HasMaxLength(100);
                installation.HasIndex(i => i.NextAttemptAt);
                // Taken and given back with the lease: a save of the user by a worker that lost it fails.
                installation.Property(i => i.LeaseOwner).HasMaxLength(RowLease.OwnerMaxLength).IsConcurrencyToken();
            });
            user.Navigation(u => u.AppInstallation).IsRequired();
        });

        modelBuilder.Entity<AppInstallationAttempt>(attempt =>
        {
            attempt.ToTable("app_installation_attempts");
            attempt.Property(a => a.Action).HasMaxLength(20);
            attempt.Property(a => a.Trigger).HasMaxLength(20);
            attempt.Property(a => a.ErrorCode).HasMaxLength(100);
            attempt.Property(a => a.Message).HasMaxLength(2000);
            attempt.Property(a => a.RequestId).HasMaxLength(100);
            attempt.Property(a => a.Outcome).HasConversion<string>().HasMaxLength(30);
            attempt.HasIndex(a => new { a.UserId, a.At });
            attempt.HasOne<User>().WithMany().HasForeignKey(a => a.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<AuditLogEntry>(entry =>
        {
            entry.ToTable("audit_log");
            entry.Property(e => e.Actor).HasMaxLength(320);
            entry.Property(e => e.Action).HasMaxLength(100);
            entry.Property(e => e.TraceId).HasMaxLength(64);
            entry.HasIndex(e => new { e.OrganizationId, e.OccurredAt });
        });

        modelBuilder.Entity<JobHeartbeat>(heartbeat =>
        {
            heartbeat.ToTable("job_heartbeats");
            heartbeat.Property(h => h.Trigger).HasConversion<string>().HasMaxLength(20);
            heartbeat.Property(h => h.RequestedBy).HasMaxLength(300);
            heartbeat.Property(h => h.ExecutedBy).HasMaxLength(300);
            heartbeat.Property(h => h.JobId).HasMaxLength(100);
            heartbeat.Ignore(h => h.PickupLatency);
            heartbeat.HasIndex(h => h.RequestedAt);
        });

        modelBuilder.Entity<ConsentRequest>(request =>
        {
            request.ToTable("consent_requests");
            request.Property(r => r.Kind).HasConversion<string>().HasMaxLength(40);
            request.Property(r => r.Outcome).HasConversion<string>().HasMaxLength(20);
            request.Property(r => r.StateHash).HasMaxLength(64);
            request.HasIndex(r => r.StateHash).IsUnique();
            request.HasIndex(r => new { r.OrganizationId, r.Kind, r.CreatedAt });
            request.Property(r => r.Error).HasMaxLength(100);
            request.Property(r => r.ErrorDescription).HasMaxLength(2000);
            request.Property(r => r.TraceId).HasMaxLength(100);
            request.Property(r => r.CorrelationId).HasMaxLength(100);
            request.HasOne<Organization>().WithMany().HasForeignKey(r => r.OrganizationId);
        });

        modelBuilder.Entity<TokenCacheEntry>(entry =>
        {
            entry.ToTable("token_cache");
            entry.HasKey(e => e.Key);
            entry.Property(e => e.Key).HasMaxLength(TokenCacheEntry.KeyMaxLength);
            entry.HasIndex(e => e.ExpiresAt);
        });

        modelBuilder.Entity<AutomaticInstall>(install =>
        {
            install.ToTable("automatic_installs");
            install.HasIndex(i => i.OrganizationId).IsUnique();
            install.HasOne<Organization>().WithMany().HasForeignKey(i => i.OrganizationId);
            install.Property(i => i.Status).HasConversion<string>().HasMaxLength(20);
            install.Property(i => i.RequestedBy).HasMaxLength(320);
            install.Property(i => i.LeaseOwner).HasMaxLength(200);
            install.Property(i => i.TeamId).HasMaxLength(100);
            install.Property(i => i.TeamName).HasMaxLength(256);
            install.Property(i => i.OperationLocation).HasMaxLength(400);
            install.Property(i => i.ChannelId).HasMaxLength(200);
            install.Property(i => i.TabId).HasMaxLength(200);
            install.Ignore(i => i.NextStep);
            install.HasMany(i => i.Steps).WithOne().HasForeignKey(s => s.InstallId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<AutomaticInstallStep>(step =>
        {
            step.ToTable("automatic_install_steps");
            step.HasKey(s => new { s.InstallId, s.Kind });
            step.Property(s => s.Kind).HasConversion<string>().HasMaxLength(40);
            step.Property(s => s.State).HasConversion<string>().HasMaxLength(20);
            step.Property(s => s.Detail).HasMaxLength(2000);
            step.Property(s => s.Error).HasMaxLength(4000);
            step.Property(s => s.RequestId).HasMaxLength(100);
        });

        modelBuilder.Entity<GraphPace>(pace =>
        {
            pace.ToTable("graph_paces");
            pace.HasKey(p => new { p.TenantId, p.Operation });
            pace.Property(p => p.Operation).HasMaxLength(60);
            // A worker moves the schedule on only from the slot it read: two never take the same one.
            pace.Property(p => p.NextSlotAt).IsConcurrencyToken();
        });

        modelBuilder.Entity<SweepRun>(run =>
        {
            run.ToTable("sweep_runs");
            run.HasIndex(r => new { r.OrganizationId, r.StartedAt });
            // One running run per organisation, enforced by the database: two workers starting at once cannot both run.
            run.HasIndex(r => r.OrganizationId).IsUnique().HasFilter("outcome = 'Running'").HasDatabaseName("ix_sweep_runs_one_running");
            run.Property(r => r.RunBy).HasMaxLength(200);
            run.HasOne<Organization>().WithMany().HasForeignKey(r => r.OrganizationId);
            run.Property(r => r.Outcome).HasConversion<string>().HasMaxLength(20);
            run.Property(r => r.RequestedBy).HasMaxLength(320);
            run.Property(r => r.ReviewedBy).HasMaxLength(320);
            run.Property(r => r.Reason).HasMaxLength(4000);
            run.Property(r => r.KeptOwnerNote).HasMaxLength(2000);
        });

        modelBuilder.Entity<TeamRosterRead>(read =>
        {
            read.ToTable("team_roster_reads");
            read.HasOne<Organization>().WithMany().HasForeignKey(r => r.OrganizationId);
            read.HasIndex(r => new { r.OrganizationId, r.TeamId }).IsUnique();
            read.HasIndex(r => new { r.State, r.LeaseUntil });
            read.Property(r => r.TeamName).HasMaxLength(TeamRosterRead.NameMaxLength);
            read.Property(r => r.State).HasConversion<string>().HasMaxLength(20);
            read.Property(r => r.Trigger).HasMaxLength(TeamRosterRead.TriggerMaxLength);
            read.Property(r => r.NextLink).HasMaxLength(TeamRosterRead.NextLinkMaxLength);
            read.Property(r => r.LeaseOwner).HasMaxLength(TeamRosterRead.OwnerMaxLength).IsConcurrencyToken();
            read.Property(r => r.LastError).HasMaxLength(TeamRosterRead.ErrorMaxLength);
        });

        modelBuilder.Entity<BotTeam>(team =>
        {
            team.ToTable("bot_teams");
            team.HasOne<Organization>().WithMany().HasForeignKey(t => t.OrganizationId);
            team.HasIndex(t => new { t.OrganizationId, t.TeamThreadId }).IsUnique();
            team.Property(t => t.TeamThreadId).HasMaxLength(BotTeam.ThreadIdMaxLength);
            team.Property(t => t.Name).HasMaxLength(BotTeam.NameMaxLength);
            team.Property(t => t.ServiceUrl).HasMaxLength(BotTeam.ServiceUrlMaxLength);
        });

        // Incidents and announcements.
        modelBuilder.Entity<Incident>(incident =>
        {
            incident.ToTable("incidents");
            incident.HasOne<Organization>().WithMany().HasForeignKey(i => i.OrganizationId);
            incident.HasIndex(i => new { i.OrganizationId, i.Number }).IsUnique();
            incident.HasIndex(i => new { i.OrganizationId, i.Status });
            incident.Ignore(i => i.Reference);
            incident.Property(i => i.Name).HasMaxLength(Incident.NameMaxLength);
            incident.Property(i => i.Summary).HasMaxLength(Incident.SummaryMaxLength);
            incident.Property(i => i.Type).HasMaxLength(Incident.TypeMaxLength);
            incident.Property(i => i.Severity).HasConversion<string>().HasMaxLength(10);
            incident.Property(i => i.Status).HasConversion<string>().HasMaxLength(20);
            incident.Property(i => i.Version).IsConcurrencyToken();
            incident.HasOne<User>().WithMany().HasForeignKey(i => i.LeadUserId).OnDelete(DeleteBehavior.Restrict);
            incident.HasOne<User>().WithMany().HasForeignKey(i => i.DeclaredByUserId).OnDelete(DeleteBehavior.Restrict);
            incident.HasMany(i => i.Updates).WithOne().HasForeignKey(u => u.IncidentId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<IncidentUpdate>(update =>
        {
            update.ToTable("incident_updates");
            update.Property(u => u.Kind).HasConversion<string>().HasMaxLength(20);
            update.Property(u => u.From).HasMaxLength(IncidentUpdate.ValueMaxLength);
            update.Property(u => u.To).HasMaxLength(IncidentUpdate.ValueMaxLength);
            // The sweep's question: which updates were never announced?
            update.HasIndex(u => u.ProcessedAt);
        });

        modelBuilder.Entity<AnnouncementRule>(rule =>
        {
            rule.ToTable("announcement_rules");
            rule.HasOne<Organization>().WithMany().HasForeignKey(r => r.OrganizationId);
            rule.HasOne<BotTeam>().WithMany().HasForeignKey(r => r.BotTeamId).OnDelete(DeleteBehavior.Cascade);
            rule.HasIndex(r => r.OrganizationId);
            rule.Property(r => r.Name).HasMaxLength(AnnouncementRule.NameMaxLength);
            rule.Property(r => r.ChannelConversationId).HasMaxLength(BotTeam.ThreadIdMaxLength);
            rule.Property(r => r.ChannelName).HasMaxLength(AnnouncementRule.ChannelNameMaxLength);
            rule.Property(r => r.MinimumSeverity).HasConversion<string>().HasMaxLength(10);
            // One type per line, as plans' items are.
            rule.Property(r => r.IncidentTypes).HasMaxLength(4000).HasConversion(
                types => string.Join('\n', types),
                text => text.Length == 0 ? new List<string>() : text.Split('\n', StringSplitOptions.None).ToList(),
                new ValueComparer<List<string>>(
                    (a, b) => a!.SequenceEqual(b!),
                    list => list.Aggregate(0, (hash, item) => HashCode.Combine(hash, item.GetHashCode(StringComparison.Ordinal))),
                    list => list.ToList()));
        });

        modelBuilder.Entity<AnnouncementDelivery>(delivery =>
        {
            delivery.ToTable("announcement_deliveries");
            delivery.HasOne<Incident>().WithMany().HasForeignKey(d => d.IncidentId).OnDelete(DeleteBehavior.Cascade);
            delivery.HasOne<IncidentUpdate>().WithMany().HasForeignKey(d => d.IncidentUpdateId).OnDelete(DeleteBehavior.Cascade);
            // Two rules naming one channel, or two workers creating deliveries at once: one row.
            delivery.HasIndex(d => new { d.IncidentUpdateId, d.Target }).IsUnique();
            delivery.HasIndex(d => new { d.State, d.NextAttemptAt });
            delivery.HasIndex(d => d.IncidentId);
            delivery.Property(d => d.Kind).HasConversion<string>().HasMaxLength(20);
            delivery.Property(d => d.State).HasConversion<string>().HasMaxLength(20);
            delivery.Property(d => d.LeaseOwner).HasMaxLength(RowLease.OwnerMaxLength);
            delivery.Property(d => d.Target).HasMaxLength(AnnouncementDelivery.TargetMaxLength);
            delivery.Property(d => d.TargetName).HasMaxLength(AnnouncementDelivery.TargetNameMaxLength);
            delivery.Property(d => d.ServiceUrl).HasMaxLength(BotTeam.ServiceUrlMaxLength);
            delivery.Property(d => d.ConversationId).HasMaxLength(BotTeam.ThreadIdMaxLength);
            delivery.Property(d => d.ActivityId).HasMaxLength(200);
            delivery.Property(d => d.LastErrorCode).HasMaxLength(100);
            delivery.Property(d => d.LastError).HasMaxLength(AnnouncementDelivery.ErrorMaxLength);
            delivery.Property(d => d.CorrelationId).HasMaxLength(100);
        });

        modelBuilder.Entity<BotReceivedActivity>(received =>
        {
            received.ToTable("bot_received_activities");
            received.HasOne<Organization>().WithMany().HasForeignKey(r => r.OrganizationId);
            // What makes a repeated delivery recognisable: a second insert fails.
            received.HasIndex(r => new { r.ConversationId, r.ActivityId }).IsUnique();
            received.HasIndex(r => r.ReceivedAt);
            received.Property(r => r.ConversationId).HasMaxLength(BotReceivedActivity.ConversationIdMaxLength);
            received.Property(r => r.ActivityId).HasMaxLength(BotReceivedActivity.ActivityIdMaxLength);
            received.Property(r => r.Type).HasMaxLength(BotReceivedActivity.TypeMaxLength);
        });

        modelBuilder.Entity<BotDeclaration>(declaration =>
        {
            declaration.ToTable("bot_declarations");
            declaration.HasOne<Organization>().WithMany().HasForeignKey(d => d.OrganizationId);
            declaration.HasOne<User>().WithMany().HasForeignKey(d => d.UserId).OnDelete(DeleteBehavior.Restrict);
            declaration.HasOne<Incident>().WithMany().HasForeignKey(d => d.IncidentId);
            // One card submit declares once: a retried or repeated submit fails to insert a second row.
            declaration.HasIndex(d => new { d.OrganizationId, d.CardKey, d.UserId }).IsUnique();
        });

        modelBuilder.Entity<DataProtectionKey>().ToTable("data_protection_keys");

        KeysetFunctions.Register(modelBuilder);
        UseSnakeCaseNames(modelBuilder);
    }

    /// <summary>Columns, keys and indexes in snake_case so the schema reads the same in both databases.</summary>
    private static void UseSnakeCaseNames(ModelBuilder modelBuilder)
    {
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                if (entity.IsOwned() && property.IsPrimaryKey())
                {
                    continue; // shares the owner's key column
                }

                // An owned type's columns carry the navigation's name: users.app_installation_state.
                var prefix = entity.IsOwned() ? entity.FindOwnership()!.PrincipalToDependent!.Name : "";
                property.SetColumnName(ToSnakeCase(prefix + property.Name));
            }

            foreach (var key in entity.GetKeys())
            {
                key.SetName(ToSnakeCase(key.GetName()!));
            }

            foreach (var foreignKey in entity.GetForeignKeys())
            {
                foreignKey.SetConstraintName(ToSnakeCase(foreignKey.GetConstraintName()!));
            }

            foreach (var index in entity.GetIndexes())
            {
                index.SetDatabaseName(ToSnakeCase(index.GetDatabaseName()!));
            }
        }
    }

    internal static string ToSnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                var startsWord = i > 0 && name[i - 1] != '_' &&
                    (char.IsLower(name[i - 1]) || (i + 1 < name.Length && char.IsLower(name[i + 1])));
                if (startsWord)
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
