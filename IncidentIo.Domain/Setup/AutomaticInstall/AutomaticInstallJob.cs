using System.Net;
using Hangfire;
using IncidentIo.Domain.Announcements;
using IncidentIo.Domain.Audit;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Leasing;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.People;
using Organization = IncidentIo.Domain.Organizations.Organization;
using IncidentIo.Domain.TeamsApp;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Identity.Client;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware.Options;

namespace IncidentIo.Domain.Setup.AutomaticInstall;

/// <summary>
/// Runs an automatic install step by step as the temporary setup app. Holds a lease on the install
/// while it runs, so two runs never act at once; saves after every step and every wait, so a run
/// that dies is resumed (by <see cref="ResumeStalledAsync"/>) from the last saved step.
/// </summary>
public sealed class AutomaticInstallJob(
    IDbContextFactory<IncidentIoDbContext> dbFactory,
    SetupAppTokens tokens,
    IOptions<AutomaticInstallOptions> options,
    IOptions<TeamsAppOptions> teamsApp,
    TeamsAppCatalog catalog,
    IBackgroundJobClient jobs,
    IServiceProvider services,
    TimeProvider clock,
    ILogger<AutomaticInstallJob> logger)
{
    public const string Actor = "job:automatic-install";

    private readonly AutomaticInstallOptions settings = options.Value;

    private readonly RowLease<AutomaticInstall> lease = new(dbFactory, clock, options.Value.LeaseDuration, i => i.LeaseUntil, i => i.LeaseOwner);

    // Our app's entry in the tenant's catalog, once read in this run (read again only when an install says it is gone).
    private CatalogEntry? catalogEntry;

    /// <summary>Runs the install from its next step until it succeeds, fails, or this process stops.</summary>
    [AutomaticRetry(Attempts = 0)]
    [JobDisplayName("Automatic install {0}")]
    public async Task RunAsync(Guid installId, CancellationToken cancellationToken)
    {
        // Of two runs racing for the same install, exactly one gets it; it is renewed beside the steps and waits.
        await using var hold = await lease.TakeAsync(i => i.Id == installId && i.Status == AutomaticInstallStatus.Running, cancellationToken);
        if (hold is null)
        {
            logger.LogInformation("Automatic install {InstallId} is held by another run or not running; nothing to do", installId);
            return;
        }

        var owner = hold.Owner!;
        var work = hold.Token;
        try
        {
            Guid tenantId;
            await using (var db = await dbFactory.CreateDbContextAsync(work))
            {
                var organizationId = await db.AutomaticInstalls.Where(i => i.Id == installId).Select(i => i.OrganizationId).SingleAsync(work);
                tenantId = await db.Organizations.Where(o => o.Id == organizationId).Select(o => o.MicrosoftTenantId).SingleAsync(work);
            }

            // A run's first token comes from Microsoft, not the cache: a retry after the admin
            // granted the permissions again must not act with a token minted before that.
            var fresh = true;
            using var graph = new RecordedGraph(services, async ct =>
            {
                var token = await tokens.AcquireAsync(tenantId, fresh, ct);
                fresh = false;
                return token;
            }, settings.CallTimeout, clock);
            while (await RunNextStepAsync(installId, owner, graph, work) is { } wait)
            {
                await Task.Delay(wait, clock, work);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            logger.LogInformation("Automatic install {InstallId} paused: this process is stopping; the resume job continues it", installId);
        }
        catch (OperationCanceledException) when (hold.IsLost)
        {
            logger.LogWarning("Automatic install {InstallId} stopped: this run lost its hold on it (it could not renew in time); the resume job continues it", installId);
        }
    }

    /// <summary>
    /// Recurring: starts a run for every install that should be running but that no run holds (its worker died, or its job was lost).
    /// No Hangfire lock: two of these at once only queue a run twice, and the lease lets one act; a lock
    /// left by a killed worker would stop resumes for Hangfire.PostgreSql's 10 minutes.
    /// </summary>
    [AutomaticRetry(Attempts = 0)]
    public async Task ResumeStalledAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var stalled = await db.AutomaticInstalls
            .Where(i => i.Status == AutomaticInstallStatus.Running).Where(lease.FreeAt(now))
            .Select(i => i.Id).ToListAsync(cancellationToken);
        foreach (var id in stalled)
        {
            logger.LogWarning("Automatic install {InstallId} has no live run; resuming it", id);
            jobs.Enqueue<AutomaticInstallJob>(job => job.RunAsync(id, CancellationToken.None));
        }
    }

    /// <returns>How long to wait before the next step, or null when the install has finished (or failed).</returns>
    private async Task<TimeSpan?> RunNextStepAsync(Guid installId, string owner, RecordedGraph graph, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var install = await db.AutomaticInstalls.Include(i => i.Steps).SingleAsync(i => i.Id == installId, cancellationToken);
        if (install.Status != AutomaticInstallStatus.Running || install.LeaseOwner != owner)
        {
            return null;
        }

        var now = clock.GetUtcNow();
        var organization = await db.Organizations.SingleAsync(o => o.Id == install.OrganizationId, cancellationToken);
        if (install.NextStep is not { } step)
        {
            Finish(db, install, organization, now);
            await db.SaveChangesAsync(cancellationToken);
            // The Incidents team gets the default announcement rule (now, or once Teams has told our bot about it).
            if (Guid.TryParse(install.TeamId, out var teamId))
            {
                await DefaultAnnouncementRule.RememberTeamAsync(dbFactory, install.OrganizationId, teamId, now, cancellationToken);
            }

            return null;
        }

        if (step.NextAttemptAt is { } due && due > now)
        {
            return due - now;
        }

        if (step.State != StepState.Running)
        {
            step.State = StepState.Running;
            step.StartedAt ??= now;
            install.UpdatedAt = now;
            await db.SaveChangesAsync(cancellationToken);
        }

        var outcome = await AttemptAsync(db, install, step, graph, cancellationToken);
        now = clock.GetUtcNow();
        Audit(db, install, graph.DrainCalls());
        step.RequestId = outcome.RequestId ?? step.RequestId;
        install.UpdatedAt = now;
        TimeSpan? wait = TimeSpan.Zero;
        switch (outcome.Kind)
        {
            case OutcomeKind.Done:
                step.State = StepState.Succeeded;
                step.FinishedAt = now;
                step.Detail = ClippedText.Clip(outcome.Text, 2000);
                step.Error = null;
                step.NextAttemptAt = null;
                break;
            case OutcomeKind.Wait:
                step.State = StepState.Waiting;
                step.Detail = ClippedText.Clip(outcome.Text, 2000);
                step.NextAttemptAt = now + outcome.Delay;
                wait = outcome.Delay;
                break;
            case OutcomeKind.Transient when step.Attempts + 1 < settings.MaxAttempts:
                step.Attempts++;
                step.State = StepState.Waiting;
                step.Error = ClippedText.Clip(outcome.Text, 4000);
                var delay = outcome.Delay ?? RetryBackoff.WithJitter(step.Attempts, TimeSpan.FromSeconds(2), settings.MaxBackoff);
                step.NextAttemptAt = now + delay;
                wait = delay;
                break;
            default:
                step.Attempts += outcome.Kind == OutcomeKind.Transient ? 1 : 0;
                step.State = StepState.Failed;
                step.FinishedAt = now;
                step.Error = ClippedText.Clip(outcome.Kind == OutcomeKind.Transient
                    ? $"Microsoft kept failing after {step.Attempts} attempts. Last: {outcome.Text}"
                    : outcome.Text, 4000);
                step.NextAttemptAt = null;
                install.Status = AutomaticInstallStatus.Failed;
                install.FinishedAt = now;
                db.AuditLog.Add(AuditLogEntry.Record(install.OrganizationId, now, Actor, "setup.automatic-install-failed",
                    $"{AutomaticInstallStep.TitleOf(step.Kind)}: {step.Error}"));
                wait = null;
                break;
        }

        await db.SaveChangesAsync(cancellationToken);
        return wait;
    }

    private static void Finish(IncidentIoDbContext db, AutomaticInstall install, Organization organization, DateTimeOffset now)
    {
        install.Status = AutomaticInstallStatus.Succeeded;
        install.FinishedAt = now;
        install.UpdatedAt = now;
        organization.Reach(SetupStage.TeamsAppInstalled, now);
        db.AuditLog.Add(AuditLogEntry.Record(install.OrganizationId, now, Actor, "setup.automatic-install-succeeded",
            $"Team \"{install.TeamName}\" ({install.TeamId}) has our app, and our tab in General."));
    }

    private async Task<StepOutcome> AttemptAsync(IncidentIoDbContext db, AutomaticInstall install, AutomaticInstallStep step, RecordedGraph graph, CancellationToken cancellationToken)
    {
        try
        {
            return step.Kind switch
            {
                AutomaticInstallStepKind.FindOrCreateTeam => await FindOrCreateTeamAsync(db, install, graph, cancellationToken),
                AutomaticInstallStepKind.WaitForTeam => await WaitForTeamAsync(install, graph, cancellationToken),
                AutomaticInstallStepKind.InstallApp => await InstallAppAsync(install, graph, cancellationToken),
                AutomaticInstallStepKind.PinTab => await PinTabAsync(install, graph, cancellationToken),
                AutomaticInstallStepKind.Verify => await VerifyAsync(install, graph, cancellationToken),
                _ => StepOutcome.Failed($"Unknown step {step.Kind}."),
            };
        }
        catch (ODataError error)
        {
            if (error.ResponseStatusCode == (int)HttpStatusCode.NotFound && step.Kind > AutomaticInstallStepKind.WaitForTeam)
            {
                // The team is gone (deleted since): a retry starts again from finding or creating it.
                install.TeamId = install.OperationLocation = install.ChannelId = install.TabId = null;
                install.TeamCreationRequestedAt = null;
            }

            return FromGraphError(error, step.Kind);
        }
        catch (MsalServiceException error) when (error.IsRetryable)
        {
            return StepOutcome.Transient($"Microsoft's sign-in service answered {error.StatusCode} ({error.ErrorCode}).", null, error.CorrelationId);
        }
        catch (MsalServiceException error)
        {
            return StepOutcome.Failed(
                "We could not act as the temporary setup app in your organisation: its permissions are missing or were removed. " +
                $"Grant the temporary setup permissions again, then retry. (Microsoft: {error.ErrorCode}, correlation id {error.CorrelationId})", error.CorrelationId);
        }
        catch (HttpRequestException error)
        {
            return StepOutcome.Transient($"Could not reach Microsoft Graph: {error.Message}", null, null);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return StepOutcome.Transient($"Microsoft Graph did not answer within {settings.CallTimeout.TotalSeconds:F0} s.", null, null);
        }
    }

    private async Task<StepOutcome> FindOrCreateTeamAsync(IncidentIoDbContext db, AutomaticInstall install, RecordedGraph graph, CancellationToken cancellationToken)
    {
        if (install.TeamId is not null)
        {
            return StepOutcome.Done($"Team \"{install.TeamName}\" is ours.");
        }

        var name = settings.TeamName;
        var existing = await graph.Client.Teams.GetAsync(request =>
        {
            request.QueryParameters.Filter = $"displayName eq '{name.Replace("'", "''", StringComparison.Ordinal)}'";
            request.QueryParameters.Select = ["id", "displayName"];
        }, cancellationToken);
        if (existing?.Value?.OrderBy(t => t.Id, StringComparer.Ordinal).FirstOrDefault() is { Id: { } foundId } found)
        {
            install.TeamId = foundId;
            install.TeamName = found.DisplayName ?? name;
            var wait = install.Step(AutomaticInstallStepKind.WaitForTeam);
            if (install.OperationLocation is null && wait.State != StepState.Succeeded)
            {
                wait.State = StepState.Succeeded;
                wait.StartedAt = wait.FinishedAt = clock.GetUtcNow();
                wait.Detail = "Nothing to wait for: the team already exists.";
            }

            return StepOutcome.Done(install.TeamCreationRequestedAt is null
                ? $"Found your existing team \"{install.TeamName}\"; we use it rather than create another."
                : $"Found the team \"{install.TeamName}\" we asked Teams to create earlier.");
        }

        var now = clock.GetUtcNow();
        if (install.TeamCreationRequestedAt is { } requestedAt && now < requestedAt + settings.TeamCreationTimeout)
        {
            // An earlier run asked Teams to create the team and stopped before hearing back. Teams
            // lists a team only once it is ready, so look again rather than risk a second team.
            return StepOutcome.Waiting(settings.OperationPollInterval,
                $"An earlier attempt asked Teams to create \"{name}\" at {requestedAt:u}; checking whether it did before asking again.");
        }

        // Saved before asking: if this run dies before hearing back, the next one looks first.
        install.TeamCreationRequestedAt = now;
        install.UpdatedAt = now;
        await db.SaveChangesAsync(cancellationToken);

        var headers = new HeadersInspectionHandlerOption { InspectResponseHeaders = true };
        try
        {
            await graph.Client.Teams.PostAsync(NewTeam(name, install.RequestedByObjectId), request => request.Options.Add(headers), cancellationToken);
        }
        catch (ODataError)
        {
            // Teams answered with an error: it did not create the team, so asking again is safe.
            install.TeamCreationRequestedAt = null;
            throw;
        }

        var location = headers.ResponseHeaders.TryGetValue("Location", out var locations) ? locations.FirstOrDefault() : null;
        var contentLocation = headers.ResponseHeaders.TryGetValue("Content-Location", out var contents) ? contents.FirstOrDefault() : null;
        if (TeamsAsyncOperationAddress.TeamIdOf(contentLocation ?? location) is not { } teamId)
        {
            return StepOutcome.Failed($"Teams accepted the new team but did not say where to follow it (Location '{location}').");
        }

        install.TeamId = teamId;
        install.TeamName = name;
        install.OperationLocation = location;
        return StepOutcome.Done($"Asked Teams to create \"{name}\", owned by {install.RequestedBy}.");
    }

    private static Team NewTeam(string name, Guid ownerObjectId) => new()
    {
        DisplayName = name,
        Description = "Declare incidents and follow them with IncidentIo.",
        Visibility = TeamVisibilityType.Public,
        AdditionalData = new Dictionary<string, object> { ["template@odata.bind"] = "https://graph.microsoft.com/v1.0/teamsTemplates('standard')" },
        Members =
        [
            new AadUserConversationMember
            {
                OdataType = "#microsoft.graph.aadUserConversationMember",
                Roles = ["owner"],
                AdditionalData = new Dictionary<string, object> { ["user@odata.bind"] = $"https://graph.microsoft.com/v1.0/users('{ownerObjectId}')" },
            },
        ],
    };

    private async Task<StepOutcome> WaitForTeamAsync(AutomaticInstall install, RecordedGraph graph, CancellationToken cancellationToken)
    {
        if (install.OperationLocation is null)
        {
            return StepOutcome.Done("Nothing to wait for: the team already exists.");
        }

        if (TeamsAsyncOperationAddress.Parse(install.OperationLocation) is not var (teamId, operationId))
        {
            return StepOutcome.Failed($"Teams gave an operation address we cannot read: '{install.OperationLocation}'.");
        }

        var headers = new HeadersInspectionHandlerOption { InspectResponseHeaders = true };
        var operation = await graph.Client.Teams[teamId].Operations[operationId].GetAsync(request => request.Options.Add(headers), cancellationToken);
        switch (operation?.Status)
        {
            case TeamsAsyncOperationStatus.Succeeded:
                return StepOutcome.Done($"Teams finished creating \"{install.TeamName}\".");
            case TeamsAsyncOperationStatus.Failed:
                install.OperationLocation = null;
                install.TeamId = null;
                install.TeamCreationRequestedAt = null;
                return StepOutcome.Failed(
                    $"Teams could not create the team: {operation.Error?.Code} {operation.Error?.Message}".TrimEnd() +
                    " Retry to ask Teams again.");
            default:
                var started = install.TeamCreationRequestedAt ?? install.StartedAt;
                if (clock.GetUtcNow() > started + settings.TeamCreationTimeout)
                {
                    return StepOutcome.Failed($"Teams has not finished creating the team after {settings.TeamCreationTimeout.TotalMinutes:F0} minutes. Retry to keep waiting.");
                }

                var delay = RetryAfterHeader.From(headers.ResponseHeaders) is { } retryAfter && retryAfter > settings.OperationPollInterval ? retryAfter : settings.OperationPollInterval;
                return StepOutcome.Waiting(delay, $"Teams is creating the team ({operation?.Status?.ToString() ?? "status unknown"}); next look in {delay.TotalSeconds:F0} s.");
        }
    }

    private async Task<StepOutcome> InstallAppAsync(AutomaticInstall install, RecordedGraph graph, CancellationToken cancellationToken)
    {
        if (await CatalogEntryAsync(install, graph, false, cancellationToken) is not { } entry)
        {
            return NotInCatalog();
        }

        if (await IsInstalledAsync(install, graph, entry, cancellationToken))
        {
            RequestRosterRead(install);
            return StepOutcome.Done("Our app was already installed in the team.");
        }

        bool added;
        try
        {
            added = await AddToTeamAsync(install, graph, entry.Id, cancellationToken);
        }
        catch (ODataError error) when (error.ResponseStatusCode == (int)HttpStatusCode.NotFound)
        {
            // The team, or our app's catalog entry, is gone: an entry that changed (the tenant removed
            // its upload, or has the Store's now) is tried once; otherwise the 404 is the team's.
            var again = await CatalogEntryAsync(install, graph, true, cancellationToken);
            if (again is null)
            {
                return NotInCatalog();
            }

            if (again.Id == entry.Id)
            {
                throw;
            }

            added = await AddToTeamAsync(install, graph, again.Id, cancellationToken);
        }

        RequestRosterRead(install);
        return StepOutcome.Done(added ? $"Installed our app in \"{install.TeamName}\"." : "Our app was already installed in the team.");
    }

    private static StepOutcome NotInCatalog() =>
        StepOutcome.Failed(
            "Our app is not in your organisation's Teams app catalog. In the Teams admin center, allow IncidentIo " +
            "(or upload our app package from the manual install), then retry.");

    /// <summary>Adds our app to the team: true when added, false when Teams answered 409 (it was already there).</summary>
    private static async Task<bool> AddToTeamAsync(AutomaticInstall install, RecordedGraph graph, string catalogAppId, CancellationToken cancellationToken)
    {
        try
        {
            await graph.Client.Teams[install.TeamId].InstalledApps.PostAsync(new TeamsAppInstallation
            {
                AdditionalData = new Dictionary<string, object> { ["teamsApp@odata.bind"] = $"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/{catalogAppId}" },
            }, cancellationToken: cancellationToken);
            return true;
        }
        catch (ODataError error) when (error.ResponseStatusCode == (int)HttpStatusCode.Conflict)
        {
            return false;
        }
    }

    /// <summary>Whether the team has our app under any of its catalog ids (Store, the tenant's upload).</summary>
    private static async Task<bool> IsInstalledAsync(AutomaticInstall install, RecordedGraph graph, CatalogEntry entry, CancellationToken cancellationToken)
    {
        foreach (var id in entry.Ids)
        {
            var installed = await graph.Client.Teams[install.TeamId].InstalledApps.GetAsync(request =>
                request.QueryParameters.Filter = CatalogEntry.InstalledFilter(id), cancellationToken);
            if (installed?.Value is { Count: > 0 })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The team's members become people of the organisation (a job, with the main app's permissions).</summary>
    private void RequestRosterRead(AutomaticInstall install)
    {
        if (Guid.TryParse(install.TeamId, out var teamId))
        {
            var (organizationId, name) = (install.OrganizationId, install.TeamName ?? install.TeamId!);
            jobs.Enqueue<TeamRosters>(r => r.RequestAsync(organizationId, teamId, name, "automatic-install", CancellationToken.None));
        }
    }

    private async Task<StepOutcome> PinTabAsync(AutomaticInstall install, RecordedGraph graph, CancellationToken cancellationToken)
    {
        if (install.ChannelId is null)
        {
            var channel = await graph.Client.Teams[install.TeamId].PrimaryChannel.GetAsync(cancellationToken: cancellationToken);
            install.ChannelId = channel?.Id ?? throw new InvalidOperationException("Teams returned no General channel.");
        }

        var existing = await OurTabAsync(install, graph, cancellationToken);
        if (existing is not null)
        {
            install.TabId = existing.Id;
            return StepOutcome.Done($"Our tab \"{existing.DisplayName}\" was already in General.");
        }

        var catalogAppId = (await CatalogEntryAsync(install, graph, false, cancellationToken))?.Id
            ?? throw new InvalidOperationException("Our app left the organisation's app catalog after it was installed.");
        var host = teamsApp.Value.PortalHost;
        var tab = await graph.Client.Teams[install.TeamId].Channels[install.ChannelId].Tabs.PostAsync(new TeamsTab
        {
            DisplayName = settings.TabName,
            AdditionalData = new Dictionary<string, object> { ["teamsApp@odata.bind"] = $"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/{catalogAppId}" },
            Configuration = new TeamsTabConfiguration
            {
                EntityId = "incidents",
                ContentUrl = $"https://{host}/teams/tab",
                WebsiteUrl = $"https://{host}/incidents",
            },
        }, cancellationToken: cancellationToken);
        install.TabId = tab?.Id;
        return StepOutcome.Done($"Pinned our tab \"{settings.TabName}\" in General.");
    }

    private async Task<StepOutcome> VerifyAsync(AutomaticInstall install, RecordedGraph graph, CancellationToken cancellationToken)
    {
        var installed = await CatalogEntryAsync(install, graph, false, cancellationToken) is { } entry && await IsInstalledAsync(install, graph, entry, cancellationToken);
        var tab = await OurTabAsync(install, graph, cancellationToken);
        return (installed, tab is not null) switch
        {
            (true, true) => StepOutcome.Done($"Checked with Teams: \"{install.TeamName}\" has our app, and our tab in General."),
            (false, _) => StepOutcome.Failed("Teams no longer lists our app in the team (someone may have removed it). Retry to install it again."),
            _ => StepOutcome.Failed("Teams no longer lists our tab in General (someone may have removed it). Retry to pin it again."),
        };
    }

    private async Task<TeamsTab?> OurTabAsync(AutomaticInstall install, RecordedGraph graph, CancellationToken cancellationToken)
    {
        var tabs = await graph.Client.Teams[install.TeamId].Channels[install.ChannelId].Tabs.GetAsync(
            request => request.QueryParameters.Expand = ["teamsApp"], cancellationToken);
        // By catalog id: a Store app's externalId is empty. The manifest id is a Store app's catalog id.
        var ids = (await CatalogEntryAsync(install, graph, false, cancellationToken))?.Ids ?? [teamsApp.Value.AppId];
        return tabs?.Value?.FirstOrDefault(t => ids.Contains(t.TeamsApp?.Id ?? "", StringComparer.OrdinalIgnoreCase)
            || string.Equals(t.TeamsApp?.ExternalId, teamsApp.Value.AppId, StringComparison.OrdinalIgnoreCase));
    }

    private async Task<CatalogEntry?> CatalogEntryAsync(AutomaticInstall install, RecordedGraph graph, bool refresh, CancellationToken cancellationToken)
    {
        if (catalogEntry is not null && !refresh)
        {
            return catalogEntry;
        }

        return catalogEntry = await catalog.FindAsync(install.OrganizationId, graph.Client, refresh, cancellationToken: cancellationToken);
    }

    private static StepOutcome FromGraphError(ODataError error, AutomaticInstallStepKind step)
    {
        var status = error.ResponseStatusCode;
        var requestId = error.Error?.InnerError?.RequestId ?? (error.ResponseHeaders.TryGetValue("request-id", out var ids) ? ids.FirstOrDefault() : null);
        var said = $"Microsoft Graph answered {status} {error.Error?.Code}: {error.Error?.Message}";
        if (status is 429 or 500 or 502 or 503 or 504)
        {
            return StepOutcome.Transient(said, RetryAfterHeader.From(error.ResponseHeaders), requestId);
        }

        if (step == AutomaticInstallStepKind.InstallApp && RscInstallRefusal.Is(error))
        {
            return StepOutcome.Failed($"{RscInstallRefusal.Explanation} ({said})", requestId);
        }

        var advice = (status, step) switch
        {
            (403, _) => " The temporary setup app lacks a permission it needs, or a Teams policy blocks it: grant the temporary setup permissions again, then retry.",
            (404, AutomaticInstallStepKind.InstallApp or AutomaticInstallStepKind.PinTab or AutomaticInstallStepKind.Verify) =>
                " The team may have been deleted; retry to find or create it again.",
            _ => " Retry; if it fails again, contact support with the request id.",
        };
        return StepOutcome.Failed(said + advice, requestId);
    }

    private static void Audit(IncidentIoDbContext db, AutomaticInstall install, IReadOnlyList<GraphCall> calls)
    {
        foreach (var call in calls)
        {
            db.AuditLog.Add(AuditLogEntry.Record(install.OrganizationId, call.At, Actor, "graph.call", call.ToString()));
        }
    }

    private enum OutcomeKind
    {
        Done,
        Wait,
        Transient,
        Failed,
    }

    private sealed record StepOutcome(OutcomeKind Kind, string Text, TimeSpan? Delay, string? RequestId)
    {
        public static StepOutcome Done(string text) => new(OutcomeKind.Done, text, null, null);

        public static StepOutcome Waiting(TimeSpan delay, string text) => new(OutcomeKind.Wait, text, delay, null);

        public static StepOutcome Transient(string text, TimeSpan? retryAfter, string? requestId) => new(OutcomeKind.Transient, text, retryAfter, requestId);

        public static StepOutcome Failed(string text, string? requestId = null) => new(OutcomeKind.Failed, text, null, requestId);
    }
}
