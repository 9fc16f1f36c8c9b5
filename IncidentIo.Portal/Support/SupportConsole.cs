using System.Security.Claims;
using Hangfire;
using IncidentIo.Domain.ActiveUsers;
using IncidentIo.Domain.Bot;
using IncidentIo.Domain.Changes;
using IncidentIo.Domain.Reachability;

namespace IncidentIo.Portal.Support;

/// <summary>
/// Everything the support console reads and does, each call checked against who asks (see
/// <see cref="SupportAccess"/>) before the database or Microsoft is touched. Pages go through here
/// only, so a changed URL, a guessed id or another organisation's id gets "not allowed" or
/// "not found", never someone else's data. Reads that many open pages repeat after one change are
/// shared between them (<see cref="SharedReads"/>), each page's access still checked on its own. Actions are audited by the request classes with the
/// asker as actor ("staff:…" for our staff).
/// </summary>
public sealed class SupportConsole(
    SupportAccess access, ReachabilityDirectory directory, AppInstallationRequests requests, ActiveUserSweep sweep, IBackgroundJobClient jobs, PersonTeams personTeams, TeamInstalls teamInstalls, SharedReads shared)
{
    public const string RetryTrigger = "retry";

    /// <summary>The organisations the asker may pick: staff search all of them; an admin has only their own.</summary>
    public async Task<IReadOnlyList<OrganizationChoice>> OrganizationsAsync(ClaimsPrincipal who, string? search, CancellationToken cancellationToken = default)
    {
        var viewer = await DemandConsoleAsync(who, cancellationToken);
        if (viewer.IsStaff)
        {
            return await directory.OrganizationsAsync(search, cancellationToken: cancellationToken);
        }

        return await directory.OrganizationAsync(viewer.OrganizationId!.Value, cancellationToken) is { } own ? [own] : [];
    }

    public async Task<OrganizationChoice?> OrganizationAsync(ClaimsPrincipal who, Guid organizationId, CancellationToken cancellationToken = default)
    {
        await DemandAsync(who, organizationId, cancellationToken);
        return await directory.OrganizationAsync(organizationId, cancellationToken);
    }

    public async Task<ReachabilityPage> ListAsync(ClaimsPrincipal who, Guid organizationId, ReachabilityQuery query, CancellationToken cancellationToken = default)
    {
        await DemandAsync(who, organizationId, cancellationToken);
        return await shared.ReadAsync($"reachability-list:{organizationId}:{query}", ct => directory.ListAsync(organizationId, query, ct), cancellationToken);
    }

    public async Task<ReachabilityCounts> CountsAsync(ClaimsPrincipal who, Guid organizationId, CancellationToken cancellationToken = default)
    {
        await DemandAsync(who, organizationId, cancellationToken);
        return await shared.ReadAsync($"reachability-counts:{organizationId}", ct => directory.CountsAsync(organizationId, ct), cancellationToken);
    }

    /// <summary>
    /// A person's page: staff find anyone; an admin finds only people of their own organisation.
    /// Null both for an unknown id and for someone of another organisation (nothing tells them apart).
    /// </summary>
    public async Task<ReachabilityDetail?> FindAsync(ClaimsPrincipal who, Guid userId, CancellationToken cancellationToken = default) =>
        await OrganizationForAsync(who, userId, cancellationToken) is { } organizationId
            ? await directory.FindAsync(organizationId, userId, cancellationToken)
            : null;

    public async Task<InstallationVersion?> VersionAsync(ClaimsPrincipal who, Guid userId, CancellationToken cancellationToken = default) =>
        await OrganizationForAsync(who, userId, cancellationToken) is { } organizationId
            ? await shared.ReadAsync($"installation-version:{organizationId}:{userId}", ct => directory.VersionAsync(organizationId, userId, ct), cancellationToken)
            : null;

    public async Task<IReadOnlyList<ReachabilityRow>> ReachablePeersAsync(ClaimsPrincipal who, Guid organizationId, Guid excludingUserId, CancellationToken cancellationToken = default)
    {
        await DemandAsync(who, organizationId, cancellationToken);
        return await directory.ReachablePeersAsync(organizationId, excludingUserId, cancellationToken: cancellationToken);
    }

    /// <summary>Compares with another person of the same organisation only.</summary>
    public async Task<ReachabilityDetail?> FindInOrganizationAsync(ClaimsPrincipal who, Guid organizationId, Guid userId, CancellationToken cancellationToken = default)
    {
        await DemandAsync(who, organizationId, cancellationToken);
        return await directory.FindAsync(organizationId, userId, cancellationToken);
    }

    /// <summary>"Retry install": queues an install for the person (the worker runs it and records the outcome).</summary>
    /// <returns>false when the person is not in that organisation.</returns>
    public async Task<bool> RetryInstallAsync(ClaimsPrincipal who, Guid organizationId, Guid userId, CancellationToken cancellationToken = default)
    {
        var viewer = await DemandAsync(who, organizationId, cancellationToken);
        return await requests.InstallAsync(organizationId, userId, RetryTrigger, viewer.Actor, cancellationToken);
    }

    /// <summary>"Verify now": asks Microsoft at once whether our app is installed for the person.</summary>
    /// <returns>The state afterwards, or null when the person is not in that organisation.</returns>
    public async Task<InstallationState?> VerifyNowAsync(ClaimsPrincipal who, Guid organizationId, Guid userId, CancellationToken cancellationToken = default)
    {
        var viewer = await DemandAsync(who, organizationId, cancellationToken);
        return await requests.VerifyNowAsync(organizationId, userId, viewer.Actor, cancellationToken);
    }

    public async Task InstallForEveryoneAsync(ClaimsPrincipal who, Guid organizationId, CancellationToken cancellationToken = default)
    {
        var viewer = await DemandAsync(who, organizationId, cancellationToken);
        await requests.InstallForEveryoneAsync(organizationId, viewer.Actor, cancellationToken);
    }

    /// <summary>The teams a person of the organisation is in, asked of Microsoft now.</summary>
    public async Task<string> TeamsOfAsync(ClaimsPrincipal who, Guid organizationId, Guid userId, CancellationToken cancellationToken = default)
    {
        await DemandAsync(who, organizationId, cancellationToken);
        return await personTeams.DescribeAsync(organizationId, userId, cancellationToken);
    }

    /// <summary>A person's teams, each with whether our app is in it, and whether we can add it with a click.</summary>
    public async Task<(PersonTeamsAnswer Teams, bool CanInstall)> TeamsWithOurAppAsync(ClaimsPrincipal who, Guid organizationId, Guid userId, CancellationToken cancellationToken = default)
    {
        await DemandAsync(who, organizationId, cancellationToken);
        var teams = await teamInstalls.TeamsOfAsync(organizationId, userId, cancellationToken);
        return (teams, teams.Teams.Any(t => !t.HasOurApp) && await teamInstalls.CanInstallAsync(organizationId, cancellationToken));
    }

    /// <summary>Adds our app to a team (audited with the asker); its members who had been deactivated are restored at once.</summary>
    public async Task<TeamInstallOutcome> InstallInTeamAsync(ClaimsPrincipal who, Guid organizationId, Guid teamId, CancellationToken cancellationToken = default)
    {
        var viewer = await DemandAsync(who, organizationId, cancellationToken);
        return await teamInstalls.InstallAsync(organizationId, teamId, viewer.Actor, cancellationToken);
    }

    /// <summary>The active-user sweep's latest runs for the organisation.</summary>
    public async Task<IReadOnlyList<SweepRun>> SweepRunsAsync(ClaimsPrincipal who, Guid organizationId, CancellationToken cancellationToken = default)
    {
        await DemandAsync(who, organizationId, cancellationToken);
        return await shared.ReadAsync($"sweep-runs:{organizationId}", ct => sweep.RecentRunsAsync(organizationId, 10, ct), cancellationToken);
    }

    /// <summary>"Run now" or "What would the next run do" (a dry run): queued for a worker, which records the run.</summary>
    public async Task RunSweepAsync(ClaimsPrincipal who, Guid organizationId, bool dryRun, CancellationToken cancellationToken = default)
    {
        var viewer = await DemandAsync(who, organizationId, cancellationToken);
        var actor = viewer.Actor;
        jobs.Enqueue<ActiveUserSweepJobs>(j => j.RunAsync(organizationId, actor, dryRun, CancellationToken.None));
    }

    /// <summary>Allow or reject a quarantined run (audited with the asker).</summary>
    /// <returns>null when there is no quarantined run with that id in the organisation.</returns>
    public async Task<SweepRun?> ReviewSweepAsync(ClaimsPrincipal who, Guid organizationId, Guid runId, bool allow, CancellationToken cancellationToken = default)
    {
        var viewer = await DemandAsync(who, organizationId, cancellationToken);
        return await sweep.ReviewAsync(organizationId, runId, allow, viewer.Actor, cancellationToken);
    }

    private async Task<Guid?> OrganizationForAsync(ClaimsPrincipal who, Guid userId, CancellationToken cancellationToken)
    {
        var viewer = await DemandConsoleAsync(who, cancellationToken);
        return viewer.IsStaff ? await directory.OrganizationOfAsync(userId, cancellationToken) : viewer.OrganizationId;
    }

    private async Task<ConsoleViewer> DemandConsoleAsync(ClaimsPrincipal who, CancellationToken cancellationToken)
    {
        var viewer = await access.ResolveAsync(who, cancellationToken);
        return viewer.MayUseConsole
            ? viewer
            : throw new SupportAccessDeniedException("Only admins of an organisation and IncidentIo support staff may use the support console.");
    }

    private async Task<ConsoleViewer> DemandAsync(ClaimsPrincipal who, Guid organizationId, CancellationToken cancellationToken)
    {
        var viewer = await DemandConsoleAsync(who, cancellationToken);
        return viewer.MayActOn(organizationId)
            ? viewer
            : throw new SupportAccessDeniedException("You may only see and act on your own organisation.");
    }
}

public static class SupportConsoleRegistration
{
    /// <summary>The support console's services: who may use it, the directory it reads and the facade pages call.</summary>
    public static IServiceCollection AddSupportConsole(this IServiceCollection services)
    {
        services.AddSingleton<ReachabilityDirectory>();
        services.AddSingleton<SupportAccess>();
        services.AddSingleton<SupportConsole>();
        services.AddSingleton<OwnerRecovery>();
        return services;
    }
}
