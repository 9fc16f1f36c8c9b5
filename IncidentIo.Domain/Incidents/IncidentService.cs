using Hangfire;
using IncidentIo.Domain.Announcements;
using IncidentIo.Domain.Audit;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.Users;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Incidents;

/// <summary>
/// Declaring and changing incidents (the tab and the portal), and reading them back. Each change
/// saves the incident and its <see cref="IncidentUpdate"/> in one transaction and then queues the
/// announcing job; the recurring job finds any update whose queueing was lost.
/// </summary>
public sealed class IncidentService(
    IDbContextFactory<IncidentIoDbContext> dbFactory,
    IBackgroundJobClient jobs,
    IOptions<IncidentOptions> options,
    TimeProvider clock)
{
    public IReadOnlyList<string> Types => options.Value.EffectiveTypes;

    public Task<DeclareIncidentResult> DeclareAsync(Guid organizationId, Guid declaredByUserId, DeclareIncident form, CancellationToken ct = default) =>
        DeclareAsync(organizationId, declaredByUserId, form, alongside: null, ct);

    /// <param name="alongside">
    /// Adds rows that must be saved in the same transaction as the incident (the bot's record of
    /// which card submit declared it): when one of them is refused by a unique index, nothing is
    /// declared and the <see cref="DbUpdateException"/> reaches the caller.
    /// </param>
    public async Task<DeclareIncidentResult> DeclareAsync(
        Guid organizationId, Guid declaredByUserId, DeclareIncident form, Action<IncidentIoDbContext, Incident>? alongside, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(form);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var people = await db.Users
            .Where(u => u.OrganizationId == organizationId && u.IsActive && (u.Id == declaredByUserId || u.Id == form.LeadUserId))
            .Select(u => u.Id).ToListAsync(ct);
        var errors = Validate(form, Types);
        if (!people.Contains(declaredByUserId))
        {
            errors[""] = "You are not an active member of this organisation.";
        }

        var plan = PlanFeatures.Of(await db.Organizations.Where(o => o.Id == organizationId).Select(o => o.PlanCode).SingleOrDefaultAsync(ct));
        if (form.IsPrivate && !plan.PrivateIncidents)
        {
            errors[nameof(DeclareIncident.IsPrivate)] = plan.Refusal("Private incidents need", Plan.Pro);
        }

        if (form.LeadUserId == Guid.Empty)
        {
            errors[nameof(DeclareIncident.LeadUserId)] = "Choose a lead.";
        }
        else if (!people.Contains(form.LeadUserId))
        {
            errors[nameof(DeclareIncident.LeadUserId)] = "The lead must be an active member of your organisation.";
        }

        if (errors.Count > 0)
        {
            return DeclareIncidentResult.Invalid(errors);
        }

        var type = string.IsNullOrWhiteSpace(form.Type) ? Types[0] : Types.First(t => string.Equals(t, form.Type.Trim(), StringComparison.OrdinalIgnoreCase));
        // Numbers count up per organisation; two declaring at once may pick the same one, and the
        // unique index turns the second away: it takes the next number.
        for (var attempt = 1; ; attempt++)
        {
            var now = clock.GetUtcNow();
            var number = 1 + (await db.Set<Incident>().Where(i => i.OrganizationId == organizationId).MaxAsync(i => (int?)i.Number, ct) ?? 0);
            var incident = new Incident
            {
                OrganizationId = organizationId,
                Number = number,
                Name = form.Name!.Trim(),
                Summary = string.IsNullOrWhiteSpace(form.Summary) ? null : form.Summary.Trim(),
                Severity = form.Severity,
                Type = type,
                LeadUserId = form.LeadUserId,
                DeclaredByUserId = declaredByUserId,
                IsPrivate = form.IsPrivate,
                IsTest = form.IsTest,
                DeclaredAt = now,
                UpdatedAt = now,
            };
            var update = new IncidentUpdate
            {
                IncidentId = incident.Id,
                OrganizationId = organizationId,
                Kind = IncidentUpdateKind.Declared,
                ActorUserId = declaredByUserId,
                At = now,
                To = IncidentText.Label(form.Severity),
            };
            incident.Updates.Add(update);
            db.Add(incident);
            alongside?.Invoke(db, incident);
            db.AuditLog.Add(AuditLogEntry.Record(organizationId, now, $"user:{declaredByUserId}", "incident.declared", $"{incident.Reference} {ClippedText.Clip(incident.Name, 200)}"));
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException) when (attempt < 30)
            {
                db.ChangeTracker.Clear();
                if (!await db.Set<Incident>().AnyAsync(i => i.OrganizationId == organizationId && i.Number == number, ct))
                {
                    throw; // not a number taken meanwhile: a real failure
                }

                await Task.Delay(Random.Shared.Next(5, 20 * attempt), ct);
                continue;
            }

            // Where it is going, as the announcing job will decide it now: the person declaring is told, not promised.
            await DefaultAnnouncementRule.EnsureAsync(dbFactory, organizationId, now, ct);
            var rules = await db.Set<AnnouncementRule>().AsNoTracking().Where(r => r.OrganizationId == organizationId && r.IsEnabled).ToListAsync(ct);
            var teams = await db.BotTeams.AsNoTracking().Where(t => t.OrganizationId == organizationId && t.RemovedAt == null).ToListAsync(ct);
            var channels = AnnouncementTargets.For(incident, IncidentUpdateKind.Declared, rules, teams).Select(t => t.Name).ToList();
            QueueAnnouncement(update.Id);
            return DeclareIncidentResult.Declared(incident, channels, plan.LeadDirectMessages);
        }
    }

    /// <summary>Form checks that need no database: required name, lengths, a known severity and type.</summary>
    public static Dictionary<string, string> Validate(DeclareIncident form, IReadOnlyList<string> types)
    {
        var errors = new Dictionary<string, string>();
        if (string.IsNullOrWhiteSpace(form.Name))
        {
            errors[nameof(DeclareIncident.Name)] = "Give the incident a name.";
        }
        else if (form.Name.Trim().Length > Incident.NameMaxLength)
        {
            errors[nameof(DeclareIncident.Name)] = $"The name can be at most {Incident.NameMaxLength} characters.";
        }

        if (form.Summary?.Trim().Length > Incident.SummaryMaxLength)
        {
            errors[nameof(DeclareIncident.Summary)] = $"The summary can be at most {Incident.SummaryMaxLength} characters.";
        }

        if (!Enum.IsDefined(form.Severity))
        {
            errors[nameof(DeclareIncident.Severity)] = "Choose a severity from SEV1 to SEV4.";
        }

        if (!string.IsNullOrWhiteSpace(form.Type) && !types.Contains(form.Type.Trim(), StringComparer.OrdinalIgnoreCase))
        {
            errors[nameof(DeclareIncident.Type)] = $"Choose one of: {string.Join(", ", types)}.";
        }

        return errors;
    }

    public Task<IncidentChangeResult> ChangeSeverityAsync(Guid organizationId, Guid incidentId, Guid actorUserId, IncidentSeverity severity, CancellationToken ct = default) =>
        ChangeAsync(organizationId, incidentId, actorUserId, incident =>
        {
            if (!Enum.IsDefined(severity))
            {
                return "Choose a severity from SEV1 to SEV4.";
            }

            if (incident.Severity == severity)
            {
                return $"The incident is already {IncidentText.Label(severity)}.";
            }

            var from = IncidentText.Label(incident.Severity);
            incident.Severity = severity;
            return new IncidentUpdate { Kind = IncidentUpdateKind.SeverityChanged, From = from, To = IncidentText.Label(severity) };
        }, ct);

    /// <summary>Moves the incident to <paramref name="status"/>; <see cref="IncidentStatus.Resolved"/> resolves it (and it stays resolved).</summary>
    public Task<IncidentChangeResult> ChangeStatusAsync(Guid organizationId, Guid incidentId, Guid actorUserId, IncidentStatus status, CancellationToken ct = default) =>
        ChangeAsync(organizationId, incidentId, actorUserId, incident =>
        {
            if (!Enum.IsDefined(status))
            {
                return "Choose a status.";
            }

            if (incident.Status == status)
            {
                return $"The incident is already {status}.";
            }

            var from = incident.Status.ToString();
            incident.Status = status;
            if (status == IncidentStatus.Resolved)
            {
                incident.ResolvedAt = clock.GetUtcNow();
            }

            return new IncidentUpdate { Kind = status == IncidentStatus.Resolved ? IncidentUpdateKind.Resolved : IncidentUpdateKind.StatusChanged, From = from, To = status.ToString() };
        }, ct);

    /// <summary>Hands the incident to another lead, who gets a message from our bot as a declared incident's lead does.</summary>
    public async Task<IncidentChangeResult> ChangeLeadAsync(Guid organizationId, Guid incidentId, Guid actorUserId, Guid leadUserId, CancellationToken ct = default)
    {
        bool leadIsMember;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            leadIsMember = await db.Users.AnyAsync(u => u.Id == leadUserId && u.OrganizationId == organizationId && u.IsActive, ct);
        }

        return await ChangeAsync(organizationId, incidentId, actorUserId, incident =>
        {
            if (!leadIsMember)
            {
                return "The lead must be an active member of your organisation.";
            }

            if (incident.LeadUserId == leadUserId)
            {
                return "They already lead this incident.";
            }

            var from = incident.LeadUserId.ToString();
            incident.LeadUserId = leadUserId;
            return new IncidentUpdate { Kind = IncidentUpdateKind.LeadChanged, From = from, To = leadUserId.ToString() };
        }, ct);
    }

    /// <summary>Applies <paramref name="change"/> (an update to record, or an error) and saves incident, update and any role change together.</summary>
    private async Task<IncidentChangeResult> ChangeAsync(Guid organizationId, Guid incidentId, Guid actorUserId, Func<Incident, ChangeOutcome> change, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var actor = await db.Users.SingleOrDefaultAsync(u => u.Id == actorUserId && u.OrganizationId == organizationId && u.IsActive, ct);
        if (actor is null)
        {
            return new IncidentChangeResult(null, "You are not an active member of this organisation.");
        }

        var incident = await db.Set<Incident>().SingleOrDefaultAsync(i => i.Id == incidentId && i.OrganizationId == organizationId, ct);
        if (incident is null || !CanSee(incident, actor))
        {
            return new IncidentChangeResult(null, "No such incident.");
        }

        if (incident.Status == IncidentStatus.Resolved)
        {
            return new IncidentChangeResult(null, $"{incident.Reference} is resolved: it can no longer change.");
        }

        var outcome = change(incident);
        if (outcome.Error is { } error)
        {
            return new IncidentChangeResult(null, error);
        }

        var now = clock.GetUtcNow();
        var update = outcome.Update!;
        update.IncidentId = incident.Id;
        update.OrganizationId = organizationId;
        update.ActorUserId = actorUserId;
        update.At = now;
        db.Add(update);
        incident.UpdatedAt = now;
        incident.Version = Guid.NewGuid();
        db.AuditLog.Add(AuditLogEntry.Record(organizationId, now, $"user:{actor.UserPrincipalName ?? actor.Id.ToString()}", "incident.changed",
            $"{incident.Reference}: {IncidentText.Label(update.Kind)} {update.From} → {update.To}."));
        if (actor.Role == UserRole.Viewer)
        {
            // Declaring is free; running an incident takes a Responder seat.
            actor.Role = UserRole.Responder;
            db.AuditLog.Add(AuditLogEntry.Record(organizationId, now, "system", "user.role-changed",
                $"{actor.UserPrincipalName ?? actor.DisplayName}: Viewer → Responder (changed {incident.Reference})."));
        }

        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateConcurrencyException)
        {
            return new IncidentChangeResult(null, $"{incident.Reference} was changed by someone else just now: look again and retry.");
        }

        QueueAnnouncement(update.Id);
        return new IncidentChangeResult(incident, null);
    }

    /// <summary>The organisation's incidents not yet resolved, most severe first (what the tab lists).</summary>
    public async Task<IReadOnlyList<IncidentListItem>> ListActiveAsync(Guid organizationId, Guid viewerUserId, CancellationToken ct = default) =>
        await ListAsync(organizationId, viewerUserId, includeResolved: false, take: 200, ct);

    /// <summary>The organisation's incidents the viewer may see, newest first.</summary>
    public async Task<IReadOnlyList<IncidentListItem>> ListAsync(Guid organizationId, Guid viewerUserId, bool includeResolved, int take, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var viewer = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == viewerUserId && u.OrganizationId == organizationId && u.IsActive, ct);
        if (viewer is null)
        {
            return [];
        }

        var seesPrivate = viewer.Role >= UserRole.Admin;
        var query = db.Set<Incident>().AsNoTracking().Where(i => i.OrganizationId == organizationId
            && (includeResolved || i.Status != IncidentStatus.Resolved)
            && (!i.IsPrivate || seesPrivate || i.LeadUserId == viewerUserId || i.DeclaredByUserId == viewerUserId));
        var rows = await query
            .OrderByDescending(i => i.Number).Take(Math.Clamp(take, 1, 1000))
            .Select(i => new { Incident = i, Lead = db.Users.Where(u => u.Id == i.LeadUserId).Select(u => u.DisplayName).FirstOrDefault() })
            .ToListAsync(ct);
        var items = rows.Select(r => new IncidentListItem(r.Incident, r.Lead ?? "(unknown)"));
        return includeResolved ? items.ToList() : items.OrderBy(i => i.Incident.Severity).ThenByDescending(i => i.Incident.Number).ToList();
    }

    /// <summary>One incident with its updates and their deliveries, or null when the viewer may not see it.</summary>
    public async Task<IncidentDetails?> GetAsync(Guid organizationId, Guid viewerUserId, Guid incidentId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var viewer = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == viewerUserId && u.OrganizationId == organizationId && u.IsActive, ct);
        var incident = await db.Set<Incident>().AsNoTracking().Include(i => i.Updates)
            .SingleOrDefaultAsync(i => i.Id == incidentId && i.OrganizationId == organizationId, ct);
        if (viewer is null || incident is null || !CanSee(incident, viewer))
        {
            return null;
        }

        var deliveries = await db.Set<AnnouncementDelivery>().AsNoTracking()
            .Where(d => d.IncidentId == incidentId && d.OrganizationId == organizationId).OrderBy(d => d.CreatedAt).ToListAsync(ct);
        var people = incident.Updates.Select(x => x.ActorUserId)
            .Concat(incident.Updates.Where(x => x.Kind == IncidentUpdateKind.LeadChanged).SelectMany(x => new[] { x.From, x.To }).Select(id => Guid.TryParse(id, out var g) ? g : Guid.Empty))
            .Append(incident.LeadUserId).Append(incident.DeclaredByUserId).Distinct().ToList();
        var names = await db.Users.AsNoTracking().Where(u => u.OrganizationId == organizationId && people.Contains(u.Id))
            .ToDictionaryAsync(u => u.Id, u => u.DisplayName, ct);
        return new IncidentDetails(incident, incident.Updates.OrderBy(u => u.At).ToList(), deliveries, names);
    }

    private static bool CanSee(Incident incident, User viewer) =>
        !incident.IsPrivate || viewer.Role >= UserRole.Admin || incident.LeadUserId == viewer.Id || incident.DeclaredByUserId == viewer.Id;

    private void QueueAnnouncement(Guid updateId) =>
        jobs.Enqueue<AnnouncementJobs>(j => j.AnnounceAsync(updateId, CancellationToken.None));

    /// <summary>A change's result: the update to record, or why nothing changes.</summary>
    private readonly record struct ChangeOutcome(IncidentUpdate? Update, string? Error)
    {
        public static implicit operator ChangeOutcome(IncidentUpdate update) => new(update, null);

        public static implicit operator ChangeOutcome(string error) => new(null, error);
    }
}

public sealed record IncidentListItem(Incident Incident, string LeadName);

/// <summary>An incident, its updates oldest first, every delivery made for them, and the names of the people involved.</summary>
public sealed record IncidentDetails(Incident Incident, IReadOnlyList<IncidentUpdate> Updates, IReadOnlyList<AnnouncementDelivery> Deliveries, IReadOnlyDictionary<Guid, string> PeopleNames)
{
    public string NameOf(Guid userId) => PeopleNames.TryGetValue(userId, out var name) ? name : "(unknown)";

    /// <summary>An update's from or to as people read it: a name for a lead change, the value otherwise.</summary>
    public string? Shown(IncidentUpdate update, string? value) =>
        update.Kind == IncidentUpdateKind.LeadChanged && Guid.TryParse(value, out var id) ? NameOf(id) : value;
}
