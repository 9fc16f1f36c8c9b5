using IncidentIo.Sandbox.State;
using Microsoft.Extensions.Logging;

namespace IncidentIo.Sandbox.BotFramework;

/// <summary>
/// Tells bots what happened in Teams, as Teams does: listens to <see cref="TeamsDirectory.Changed"/>
/// and, for every registered bot whose app (a catalog app with that <c>botId</c>) is concerned, makes
/// the <see cref="BotChannel"/> send the matching activities. Which bots to tell is decided when the
/// change happens; the deliveries run afterwards, one at a time in the order of the changes, so the
/// Graph or control request that made the change never waits for a bot. Failures are logged and
/// kept in <see cref="BotChannel.Deliveries"/>. Nothing is sent while the bot side reads another
/// directory than Teams state, or no messaging endpoint is configured for the bot.
/// </summary>
public sealed class TeamsEventRelay : IDisposable
{
    private readonly BotFrameworkSandbox _bot;
    private readonly TeamsDirectory _teams;
    private readonly SandboxState _state;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task _tail = Task.CompletedTask;

    public TeamsEventRelay(BotFrameworkSandbox bot, SandboxState state, ILogger logger)
    {
        _bot = bot;
        _state = state;
        _teams = state.Teams;
        _logger = logger;
        _teams.Changed += OnChanged;
    }

    /// <summary>Completes once every delivery queued so far has finished (delivered or not).</summary>
    public Task WhenIdleAsync()
    {
        lock (_gate)
        {
            return _tail;
        }
    }

    public void Dispose()
    {
        _teams.Changed -= OnChanged;
        _stopping.Cancel();
        _stopping.Dispose();
    }

    private void OnChanged(object? sender, TeamsChangedEventArgs change)
    {
        if (_bot.Directory is not TeamsBotDirectory)
        {
            return;
        }

        switch (change.Kind)
        {
            case TeamsChangeKind.AppInstalledInTeam or TeamsChangeKind.AppRemovedFromTeam when change.TeamId is { } teamId:
                if (_teams.FindTeam(change.TenantId, teamId) is not { } team || BotOf(change.TenantId, change.TeamsAppId) is not { } botAppId)
                {
                    return;
                }

                var actor = Actor(teamId);
                Enqueue(change, botAppId, change.Kind == TeamsChangeKind.AppInstalledInTeam
                    ? token => _bot.Channel.TeamInstalledAsync(botAppId, team.GeneralChannelId, actor, token)
                    : token => _bot.Channel.TeamUninstalledAsync(botAppId, team.GeneralChannelId, actor, token));
                break;

            case TeamsChangeKind.AppInstalledForUser when change.UserId is { } userId:
                if (_state.FindUser(userId) is { BlockedByPolicy: false } && BotOf(change.TenantId, change.TeamsAppId) is { } installed)
                {
                    Enqueue(change, installed, token => _bot.Channel.UserInstalledAsync(installed, change.TenantId, userId, token));
                }

                break;

            case TeamsChangeKind.AppRemovedForUser when change.UserId is { } userId:
                if (BotOf(change.TenantId, change.TeamsAppId) is { } removed)
                {
                    Enqueue(change, removed, token => _bot.Channel.UserUninstalledAsync(removed, change.TenantId, userId, token));
                }

                break;

            case TeamsChangeKind.MemberAdded or TeamsChangeKind.MemberRemoved when change.TeamId is { } teamId && change.UserId is { } userId:
                if (_teams.FindTeam(change.TenantId, teamId) is not { } memberTeam)
                {
                    return;
                }

                foreach (var inTeam in _teams.Installations(InstallationScope.Team, teamId)
                    .Select(i => BotOf(change.TenantId, i.TeamsAppId)).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase))
                {
                    Enqueue(change, inTeam, change.Kind == TeamsChangeKind.MemberAdded
                        ? token => _bot.Channel.MembersAddedAsync(inTeam, memberTeam.GeneralChannelId, [userId], token)
                        : token => _bot.Channel.MembersRemovedAsync(inTeam, memberTeam.GeneralChannelId, [userId], token));
                }

                break;
        }

    }

    /// <summary>The registered bot behind a catalog app, when it has one and somewhere to post to.</summary>
    private string? BotOf(Guid tenantId, Guid? teamsAppId)
    {
        if (teamsAppId is not { } appId || _teams.FindCatalogApp(tenantId, appId) is not { BotId: { } botId })
        {
            return null;
        }

        var registration = _bot.FindBot(botId);
        if (registration is null || (registration.Endpoint ?? _bot.Channel.Endpoint) is null)
        {
            _logger.LogDebug("Not telling bot {BotAppId} about a Teams change: it is not registered or has no messaging endpoint.", botId);
            return null;
        }

        return registration.AppId;
    }

    /// <summary>Who Teams names as having installed or removed an app in a team: its first owner, else its first member.</summary>
    private Guid Actor(Guid teamId)
    {
        var members = _teams.Members(teamId);
        return (members.FirstOrDefault(m => m.IsOwner) ?? (members.Count > 0 ? members[0] : null))?.UserId ?? Guid.Empty;
    }

    private void Enqueue(TeamsChangedEventArgs change, string botAppId, Func<CancellationToken, Task> deliver)
    {
        var token = _stopping.Token;
        lock (_gate)
        {
            var previous = _tail;
            _tail = Task.Run(
                async () =>
                {
                    await previous;
                    try
                    {
                        await deliver(token);
                    }
                    catch (Exception e) when (e is InvalidOperationException or HttpRequestException or OperationCanceledException)
                    {
                        _logger.LogWarning(e, "Could not tell bot {BotAppId} about {Change}.", botAppId, change);
                    }
                },
                CancellationToken.None);
        }
    }
}
