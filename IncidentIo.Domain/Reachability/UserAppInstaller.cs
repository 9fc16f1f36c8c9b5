using System.Net;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Leasing;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.TeamsApp;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Graph.Models;
using Microsoft.Graph.Models.ODataErrors;
using Microsoft.Identity.Client;
using User = IncidentIo.Domain.Users.User;

namespace IncidentIo.Domain.Reachability;

/// <summary>
/// One attempt to make our app installed for one user (the bot can only message users who have
/// it): check first, install if missing, and classify what Microsoft answered into a state with
/// what to do next. Every Graph call is kept in the user's history. Paced per tenant with all
/// workers together; a transient failure leaves the user pending with the time of the next try.
/// </summary>
public sealed class UserAppInstaller(
    IDbContextFactory<IncidentIoDbContext> dbFactory,
    MainAppTokens tokens,
    TenantGraphPacer pacer,
    IOptions<AppInstallationOptions> options,
    TeamsAppCatalog catalog,
    IServiceProvider services,
    TimeProvider clock)
{
    // Paced apart, as Microsoft's published limits count them apart (per app per tenant).
    public const string CheckOperation = "get-user-installedapps";
    public const string ItemOperation = "get-user-installedapp-item";
    public const string CatalogOperation = "get-appcatalogs";
    public const string InstallOperation = "post-user-installedapps";

    private static readonly TimeSpan CatalogEntryLifetime = TimeSpan.FromMinutes(10);

    private readonly AppInstallationOptions settings = options.Value;

    // A few calls' worth, renewed while the attempt lasts.
    private readonly RowLease<User> lease = new(dbFactory, clock, options.Value.CallTimeout * 4, u => u.AppInstallation.LeaseUntil, u => u.AppInstallation.LeaseOwner);

    // Our app's catalog entry per organisation: taken from the database (or Graph) once every few minutes, not once per user.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, (CatalogEntry Entry, DateTimeOffset At)> catalogEntries = new();

    /// <summary>Returns the user's state afterwards (unchanged when another worker holds the user).</summary>
    /// <param name="onlyIfDue">Leave the user alone unless an attempt is due: a worker that listed due users a moment ago may find one already done by another.</param>
    public async Task<InstallationState> RunAsync(
        Guid userId, string trigger, InstallMode mode = InstallMode.CheckThenInstall, bool onlyIfDue = false, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        // Of two workers, one takes the user (one conditional UPDATE) and acts; the other leaves it alone.
        await using var hold = await lease.TakeAsync(onlyIfDue ? u => u.Id == userId && u.AppInstallation.NextAttemptAt <= now : u => u.Id == userId, cancellationToken);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var user = await db.Users.Include(u => u.Organization).SingleAsync(u => u.Id == userId, cancellationToken);
        if (hold is null)
        {
            return user.AppInstallation.State;
        }

        var tenantId = user.Organization!.MicrosoftTenantId;
        using var graph = new RecordedGraph(services, ct => tokens.AcquireAsync(tenantId, cancellationToken: ct), settings.CallTimeout, clock);
        var outcome = await AttemptAsync(user, tenantId, graph, mode, hold.Token);
        Apply(user, outcome, clock.GetUtcNow());
        foreach (var call in graph.DrainCalls())
        {
            var failed = call.Status is null or >= 400;
            db.AppInstallationAttempts.Add(new AppInstallationAttempt
            {
                UserId = user.Id,
                OrganizationId = user.OrganizationId,
                At = call.At,
                Action = ActionOf(call.What),
                Trigger = trigger,
                Status = call.Status,
                RequestId = call.RequestId,
                ErrorCode = failed ? outcome.ErrorCode ?? call.Failure : null,
                Message = failed ? ClippedText.Clip(outcome.Message, 2000) : null,
                Outcome = outcome.State,
            });
        }

        // The outcome and the lease given back in one save, only while this worker still holds the user (the owner is a concurrency token).
        await hold.StopRenewingAsync();
        user.AppInstallation.LeaseOwner = null;
        user.AppInstallation.LeaseUntil = null;
        try
        {
            await db.SaveChangesAsync(CancellationToken.None);
        }
        catch (DbUpdateConcurrencyException)
        {
            await using var fresh = await dbFactory.CreateDbContextAsync(CancellationToken.None);
            return await fresh.Users.Where(u => u.Id == userId).Select(u => u.AppInstallation.State).SingleAsync(CancellationToken.None);
        }

        return user.AppInstallation.State;
    }

    private async Task<Outcome> AttemptAsync(User user, Guid tenantId, RecordedGraph graph, InstallMode mode, CancellationToken cancellationToken)
    {
        var userPath = graph.Client.Users[user.MicrosoftObjectId.ToString()].Teamwork.InstalledApps;
        var step = CatalogOperation;
        try
        {
            // Installs are found by catalog id, which works however the tenant has our app (Store or its own upload).
            if (await CatalogEntryAsync(user.OrganizationId, graph, tenantId, false, cancellationToken) is not { } entry)
            {
                return NotInCatalog();
            }

            if (mode != InstallMode.InstallFirst)
            {
                step = CheckOperation;
                if (await InstalledIdAsync(userPath, entry, tenantId, cancellationToken) is { } installationId)
                {
                    step = ItemOperation;
                    return await ChatAsync(userPath, installationId, tenantId, cancellationToken);
                }

                if (mode == InstallMode.CheckOnly)
                {
                    return new Outcome(InstallationState.NotInstalled, null, null, "Our app is not installed for this user.", null);
                }
            }

            step = InstallOperation;
            try
            {
                await InstallAsync(userPath, entry.Id, tenantId, cancellationToken);
            }
            catch (ODataError error) when (error.ResponseStatusCode == (int)HttpStatusCode.NotFound)
            {
                // Either the user never opened Teams, or our app's catalog entry is gone (the tenant removed
                // an upload, or swapped it for the Store's): ask the catalog again before deciding.
                step = CatalogOperation;
                var again = await CatalogEntryAsync(user.OrganizationId, graph, tenantId, true, cancellationToken);
                if (again is null)
                {
                    return NotInCatalog();
                }

                step = InstallOperation;
                if (again.Id == entry.Id)
                {
                    throw;
                }

                entry = again;
                await InstallAsync(userPath, entry.Id, tenantId, cancellationToken);
            }

            step = CheckOperation;
            if (await InstalledIdAsync(userPath, entry, tenantId, cancellationToken) is not { } newId)
            {
                return new Outcome(InstallationState.Pending, null, "NotListedYet", "Microsoft accepted the install but does not list it yet; checking again shortly.", settings.FirstBackoff);
            }

            step = ItemOperation;
            return await ChatAsync(userPath, newId, tenantId, cancellationToken);
        }
        catch (ODataError error)
        {
            return await FromErrorAsync(error, tenantId, step, cancellationToken);
        }
        catch (MsalServiceException error) when (!error.IsRetryable)
        {
            return new Outcome(InstallationState.Failed, null, error.ErrorCode,
                $"We cannot act in this organisation ({error.ErrorCode}): the global permissions may have been removed. An admin must grant them again in setup.", null);
        }
        catch (MsalServiceException error)
        {
            return Transient(error.StatusCode, error.ErrorCode, $"Microsoft's sign-in service answered {error.StatusCode}.", null);
        }
        catch (HttpRequestException error)
        {
            return Transient(null, "ConnectionFailed", $"Could not reach Microsoft Graph: {error.Message}", null);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Transient(null, "Timeout", $"Microsoft Graph did not answer within {settings.CallTimeout.TotalSeconds:F0} s.", null);
        }
    }

    /// <summary>Listed is not yet reachable: the bot's chat with the user exists only once they have opened Teams.</summary>
    private async Task<Outcome> ChatAsync(Microsoft.Graph.Users.Item.Teamwork.InstalledApps.InstalledAppsRequestBuilder userPath, string installationId, Guid tenantId, CancellationToken cancellationToken)
    {
        await pacer.WaitForSlotAsync(tenantId, ItemOperation, settings.ChecksPerSecond, cancellationToken);
        try
        {
            await userPath[installationId].Chat.GetAsync(cancellationToken: cancellationToken);
            return new Outcome(InstallationState.Installed, 200, null, null, null);
        }
        catch (ODataError error) when (error.ResponseStatusCode == (int)HttpStatusCode.NotFound)
        {
            return new Outcome(InstallationState.NeverOpenedTeams, 404, "NeverOpenedTeams",
                "Our app is installed, but this user has not opened Teams yet, so the bot cannot message them. It works once they sign in to Teams; we check again later.",
                settings.NeverOpenedTeamsRecheck);
        }
    }

    private static Outcome NotInCatalog() =>
        new(InstallationState.NotInCatalog, null, "NotInCatalog",
            "Our app is not in your organisation's Teams app catalog. In the Teams admin center → Teams apps → Manage apps, allow IncidentIo (or upload our package).", null);

    private async Task<CatalogEntry?> CatalogEntryAsync(Guid organizationId, RecordedGraph graph, Guid tenantId, bool refresh, CancellationToken cancellationToken)
    {
        if (!refresh && catalogEntries.TryGetValue(organizationId, out var known) && clock.GetUtcNow() - known.At < CatalogEntryLifetime)
        {
            return known.Entry;
        }

        var entry = await catalog.FindAsync(organizationId, graph.Client, refresh,
            ct => pacer.WaitForSlotAsync(tenantId, CatalogOperation, settings.ChecksPerSecond, ct), cancellationToken);
        if (entry is null)
        {
            catalogEntries.TryRemove(organizationId, out _);
            return null;
        }

        catalogEntries[organizationId] = (entry, clock.GetUtcNow());
        return entry;
    }

    /// <summary>The user's installation of our app under any of its catalog ids, or null.</summary>
    private async Task<string?> InstalledIdAsync(
        Microsoft.Graph.Users.Item.Teamwork.InstalledApps.InstalledAppsRequestBuilder userPath, CatalogEntry entry, Guid tenantId, CancellationToken cancellationToken)
    {
        foreach (var catalogId in entry.Ids)
        {
            await pacer.WaitForSlotAsync(tenantId, CheckOperation, settings.ChecksPerSecond, cancellationToken);
            var installed = await userPath.GetAsync(r => r.QueryParameters.Filter = CatalogEntry.InstalledFilter(catalogId), cancellationToken);
            if (installed?.Value?.FirstOrDefault() is { Id: { } installationId })
            {
                return installationId;
            }
        }

        return null;
    }

    /// <summary>Installs our app; 409 (already there, by the user, an admin or a setup policy) counts as done.</summary>
    private async Task InstallAsync(
        Microsoft.Graph.Users.Item.Teamwork.InstalledApps.InstalledAppsRequestBuilder userPath, string catalogId, Guid tenantId, CancellationToken cancellationToken)
    {
        await pacer.WaitForSlotAsync(tenantId, InstallOperation, settings.InstallsPerSecond, cancellationToken);
        try
        {
            await userPath.PostAsync(new UserScopeTeamsAppInstallation
            {
                AdditionalData = new Dictionary<string, object> { ["teamsApp@odata.bind"] = $"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/{catalogId}" },
            }, cancellationToken: cancellationToken);
        }
        catch (ODataError error) when (error.ResponseStatusCode == (int)HttpStatusCode.Conflict)
        {
        }
    }

    private async Task<Outcome> FromErrorAsync(ODataError error, Guid tenantId, string step, CancellationToken cancellationToken)
    {
        var status = error.ResponseStatusCode;
        var code = error.Error?.Code;
        var message = error.Error?.Message ?? "";
        var retryAfter = RetryAfterHeader.From(error.ResponseHeaders);
        switch (status)
        {
            case 429:
                await pacer.ThrottledAsync(tenantId, step, retryAfter ?? settings.FirstBackoff, cancellationToken);
                return Transient(status, code, $"Microsoft is throttling us ({code}): {message}", retryAfter);
            case >= 500 or 408:
                return Transient(status, code, $"Microsoft Graph answered {status} {code}: {message}", retryAfter);
            case 403 when message.Contains("blocked by app permission policy", StringComparison.OrdinalIgnoreCase):
                return new Outcome(InstallationState.BlockedByPolicy, status, code,
                    "A Teams app permission policy blocks IncidentIo for this user. In the Teams admin center → Teams apps → Permission policies, allow IncidentIo in the policy assigned to them.", null);
            case 404 when step == InstallOperation:
                return new Outcome(InstallationState.NeverOpenedTeams, status, code,
                    "Microsoft could not install our app for this user, which happens when they have never opened Teams. We check again later.", settings.NeverOpenedTeamsRecheck);
            case 404:
                return new Outcome(InstallationState.Failed, status, code, $"Microsoft does not know this user any more ({code}: {message}).", null);
            case 403:
                return new Outcome(InstallationState.Failed, status, code,
                    $"Microsoft refused ({code}: {message}). The global permissions may be missing: an admin can grant them again in setup.", null);
            default:
                return new Outcome(InstallationState.Failed, status, code, $"Microsoft Graph answered {status} {code}: {message}", null);
        }
    }

    private static Outcome Transient(int? status, string? code, string message, TimeSpan? retryAfter) =>
        new(InstallationState.Pending, status, code, message, retryAfter, IsTransient: true);

    private void Apply(User user, Outcome outcome, DateTimeOffset now)
    {
        var installation = user.AppInstallation;
        var state = outcome.State;
        TimeSpan? next = outcome.RetryIn;
        if (outcome.IsTransient)
        {
            installation.Attempts++;
            if (installation.Attempts >= settings.MaxAttempts)
            {
                state = InstallationState.Failed;
                next = null;
                outcome = outcome with { Message = $"Microsoft kept failing after {installation.Attempts} attempts. Last: {outcome.Message}" };
            }
            else
            {
                next ??= RetryBackoff.WithJitter(installation.Attempts, settings.FirstBackoff, settings.MaxBackoff);
            }
        }
        else
        {
            installation.Attempts = 0;
        }

        if (state != installation.State)
        {
            installation.ChangedAt = now;
        }

        installation.State = state;
        installation.NextAttemptAt = next is { } wait ? now + wait : null;
        installation.LastStatus = outcome.Status;
        installation.LastErrorCode = outcome.ErrorCode;
        installation.LastError = ClippedText.Clip(outcome.Message, 2000);
        if (state == InstallationState.Installed)
        {
            installation.VerifiedAt = now;
        }
    }

    private static string ActionOf(string what) =>
        what.Contains("/chat", StringComparison.Ordinal) ? "chat"
        : what.Contains("appCatalogs", StringComparison.Ordinal) ? "catalog"
        : what.StartsWith("POST", StringComparison.Ordinal) ? "install"
        : "check";

    private sealed record Outcome(InstallationState State, int? Status, string? ErrorCode, string? Message, TimeSpan? RetryIn, bool IsTransient = false);
}

/// <summary>How far an installer run goes.</summary>
public enum InstallMode
{
    /// <summary>"Verify now": ask Graph, install nothing.</summary>
    CheckOnly,

    /// <summary>Check first, install only when missing: single users.</summary>
    CheckThenInstall,

    /// <summary>
    /// Install straight away (409 counts as installed), then look: bulk runs over users not known
    /// to have our app, where checking first would spend a second GET per user against the same limit.
    /// </summary>
    InstallFirst,
}
