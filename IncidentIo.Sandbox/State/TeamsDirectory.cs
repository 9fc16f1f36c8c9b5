namespace IncidentIo.Sandbox.State;

/// <summary>
/// Everything Teams knows about the simulated tenants: teams, channels, tabs, members, each
/// tenant's app catalog and app installations. One lock guards it; records are immutable and lists
/// come back in a fixed order. <see cref="Changed"/> tells observers (the bot channel) about
/// installs, removals and membership changes; it is raised outside the lock.
/// </summary>
public sealed class TeamsDirectory
{
    private readonly Lock _gate = new();
    private readonly SandboxState _state;
    private readonly TimeProvider _time;
    private readonly Dictionary<Guid, TeamsTenantSettings> _settings = [];
    // Keyed by tenant and catalog id: a Store app has the same catalog id (its manifest id) in every tenant.
    private readonly Dictionary<(Guid TenantId, Guid Id), CatalogApp> _catalog = [];
    private readonly Dictionary<Guid, Team> _teams = [];
    private readonly Dictionary<Guid, List<Channel>> _channels = [];
    private readonly List<ChannelTab> _tabs = [];
    private readonly Dictionary<Guid, List<TeamMember>> _members = [];
    private readonly Dictionary<string, AppInstallation> _installations = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, TeamsOperation> _operations = [];
    // Teams created through Graph whose creation has not been announced yet (it is, once they are ready).
    private readonly HashSet<Guid> _unannounced = [];
    private readonly HashSet<Guid> _openedTeams = [];

    public TeamsDirectory(SandboxState state, TimeProvider time)
    {
        _state = state;
        _time = time;
    }

    /// <summary>Raised after an app is installed or removed in a team or for a user, a member joins or leaves, or a team becomes ready.</summary>
    public event EventHandler<TeamsChangedEventArgs>? Changed;

    public TeamsTenantSettings Settings(Guid tenantId)
    {
        lock (_gate)
        {
            return _settings.GetValueOrDefault(tenantId) ?? new TeamsTenantSettings();
        }
    }

    /// <summary>Changes one tenant's Teams behaviour, e.g. how long team creation takes.</summary>
    public TeamsTenantSettings Configure(Guid tenantId, Func<TeamsTenantSettings, TeamsTenantSettings> change)
    {
        lock (_gate)
        {
            var settings = change(_settings.GetValueOrDefault(tenantId) ?? new TeamsTenantSettings());
            _settings[tenantId] = settings;
            return settings;
        }
    }

    // ---- App catalog ----

    /// <summary>
    /// Puts an app in a tenant's catalog. <c>organization</c> (the default) is an admin uploading
    /// our package: the catalog id is derived from tenant and manifest id, so it is the same on every
    /// run. <c>store</c> is the app coming from the Teams Store: its catalog id is the manifest id
    /// (which must then be a GUID) and Graph shows no <c>externalId</c>
    /// (<see href="https://learn.microsoft.com/en-us/graph/api/resources/teamsapp"/>). A tenant can
    /// hold both, as two catalog entries. Publishing the same app the same way again updates version and name.
    /// <paramref name="resourceSpecificPermissions"/> are the definition's RSC permissions.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown distribution method, or a Store app whose manifest id is not a GUID.</exception>
    public CatalogApp PublishApp(
        Guid tenantId, string externalId, string displayName, string version, string? botId = null, string? azureAdAppId = null, string? configurationUrl = null,
        string distributionMethod = TeamsAppDistribution.Organization, IReadOnlyList<RscEntry>? resourceSpecificPermissions = null)
    {
        RequireTenant(tenantId);
        var distribution = TeamsAppDistribution.Parse(distributionMethod)
            ?? throw new ArgumentException($"distributionMethod must be one of {string.Join(", ", TeamsAppDistribution.All)}, not '{distributionMethod}'.", nameof(distributionMethod));
        Guid id;
        if (distribution == TeamsAppDistribution.Store)
        {
            id = Guid.TryParse(externalId, out var manifestGuid)
                ? manifestGuid
                : throw new ArgumentException($"A Store app's catalog id is its manifest id, which must be a GUID, not '{externalId}'.", nameof(externalId));
        }
        else
        {
            var suffix = distribution == TeamsAppDistribution.Sideloaded ? "/sideloaded" : "";
            id = TeamsIds.NameGuid($"catalog/{tenantId}/{externalId.ToLowerInvariant()}{suffix}");
        }

        var app = new CatalogApp(id, tenantId, externalId, displayName, version, distribution, botId)
        {
            AzureAdAppId = azureAdAppId,
            ConfigurationUrl = configurationUrl,
            ResourceSpecificPermissions = resourceSpecificPermissions ?? [],
        };
        lock (_gate)
        {
            _catalog[(tenantId, app.Id)] = app;
            return app;
        }
    }

    /// <summary>Removes an app from a tenant's catalog (its installations stay, as Teams keeps them); false when it is not there.</summary>
    public bool UnpublishApp(Guid tenantId, Guid id)
    {
        lock (_gate)
        {
            return _catalog.Remove((tenantId, id));
        }
    }

    public IReadOnlyList<CatalogApp> CatalogApps(Guid tenantId)
    {
        lock (_gate)
        {
            return [.. _catalog.Values.Where(a => a.TenantId == tenantId).OrderBy(a => a.DisplayName, StringComparer.Ordinal).ThenBy(a => a.Id)];
        }
    }

    public CatalogApp? FindCatalogApp(Guid tenantId, Guid id)
    {
        lock (_gate)
        {
            return _catalog.GetValueOrDefault((tenantId, id));
        }
    }

    // ---- Teams ----

    /// <summary>
    /// Creates a team that is ready at once (seeding, control API). Members are (user, owner?)
    /// pairs. Throws <see cref="InvalidOperationException"/> when the id is taken.
    /// </summary>
    public Team CreateTeam(Guid tenantId, string displayName, string? description, IEnumerable<(Guid UserId, bool IsOwner)> members, Guid? id = null, string visibility = "private")
    {
        RequireTenant(tenantId);
        var now = _time.GetUtcNow();
        var team = new Team(id ?? Guid.NewGuid(), tenantId, displayName, description, visibility, now, false, now);
        lock (_gate)
        {
            AddTeamLocked(team, members, []);
        }

        Raise([new TeamsChangedEventArgs(TeamsChangeKind.TeamCreated, tenantId, team.Id, null, null, null)]);
        return team;
    }

    /// <summary>
    /// Starts creating a team as <c>POST /teams</c> does: the team and its operation exist now, the
    /// team is readable once the operation succeeds (see the tenant's <see cref="TeamsTenantSettings"/>).
    /// </summary>
    public (Team Team, TeamsOperation Operation) StartCreateTeam(
        Guid tenantId, string displayName, string? description, string visibility, IEnumerable<(Guid UserId, bool IsOwner)> members, IEnumerable<Guid> teamsAppIds)
    {
        RequireTenant(tenantId);
        var settings = Settings(tenantId);
        var now = _time.GetUtcNow();
        var startsAt = now + settings.CreateTeamNotStartedFor;
        var endsAt = startsAt + settings.CreateTeamInProgressFor;
        var team = new Team(Guid.NewGuid(), tenantId, displayName, description, visibility, now, false, endsAt, settings.CreateTeamFailure is not null);
        var operation = new TeamsOperation(Guid.NewGuid(), team.Id, tenantId, now, startsAt, endsAt, settings.CreateTeamFailure);
        lock (_gate)
        {
            AddTeamLocked(team, members, teamsAppIds);
            _operations.Add(operation.Id, operation);
            _unannounced.Add(team.Id);
        }

        return (team, operation);
    }

    public TeamsOperation? FindOperation(Guid tenantId, Guid teamId, Guid operationId)
    {
        lock (_gate)
        {
            return _operations.GetValueOrDefault(operationId) is { } op && op.TenantId == tenantId && op.TeamId == teamId ? op : null;
        }
    }

    /// <summary>A readable team of the tenant: null while it is being created, after a failed creation, or elsewhere.</summary>
    public Team? FindTeam(Guid tenantId, Guid teamId)
    {
        Settle();
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            return _teams.GetValueOrDefault(teamId) is { } team && team.TenantId == tenantId && team.IsReadyAt(now) ? team : null;
        }
    }

    /// <summary>The tenant's readable teams, by display name.</summary>
    public IReadOnlyList<Team> Teams(Guid tenantId)
    {
        Settle();
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            return [.. _teams.Values.Where(t => t.TenantId == tenantId && t.IsReadyAt(now)).OrderBy(t => t.DisplayName, StringComparer.Ordinal).ThenBy(t => t.Id)];
        }
    }

    /// <summary>Every team of the tenant, ready or not (Graph lists only ready ones): for tests and the admin pages.</summary>
    public IReadOnlyList<Team> AllTeams(Guid tenantId)
    {
        lock (_gate)
        {
            return [.. _teams.Values.Where(t => t.TenantId == tenantId).OrderBy(t => t.DisplayName, StringComparer.Ordinal).ThenBy(t => t.Id)];
        }
    }

    /// <summary>"ready", "creating" or "failed", on the Sandbox clock.</summary>
    public string StatusOf(Team team) => team.CreationFailed ? "failed" : team.IsReadyAt(_time.GetUtcNow()) ? "ready" : "creating";

    /// <summary>Readable teams the user is a member of, by display name.</summary>
    public IReadOnlyList<Team> JoinedTeams(Guid userId)
    {
        Settle();
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            return [.. _members.Where(m => m.Value.Any(x => x.UserId == userId)).Select(m => _teams[m.Key])
                .Where(t => t.IsReadyAt(now)).OrderBy(t => t.DisplayName, StringComparer.Ordinal).ThenBy(t => t.Id)];
        }
    }

    /// <summary>
    /// The readable team one of whose channels has this thread id (the General channel's is the
    /// team id bots see); null when none has.
    /// </summary>
    public Team? FindTeamByThread(string threadId)
    {
        Settle();
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            return _channels.Where(c => c.Value.Any(x => x.Id.Equals(threadId, StringComparison.OrdinalIgnoreCase)))
                .Select(c => _teams[c.Key]).FirstOrDefault(t => t.IsReadyAt(now));
        }
    }

    // ---- Channels and tabs ----

    public IReadOnlyList<Channel> Channels(Guid teamId)
    {
        lock (_gate)
        {
            return _channels.TryGetValue(teamId, out var channels) ? [.. channels] : [];
        }
    }

    /// <summary>A standard channel added to a team (Teams' "Add channel"); its id has Teams' <c>19:…@thread.tacv2</c> shape.</summary>
    public Channel AddChannel(Guid teamId, string displayName)
    {
        lock (_gate)
        {
            var channel = new Channel($"19:{Guid.NewGuid():N}@thread.tacv2", teamId, displayName, null, _time.GetUtcNow(), false);
            _channels[teamId].Add(channel);
            return channel;
        }
    }

    /// <summary>Deletes a channel other than General (which cannot be deleted); false when there is none such.</summary>
    public bool DeleteChannel(Guid teamId, string channelId)
    {
        lock (_gate)
        {
            return _channels.TryGetValue(teamId, out var channels) && channels.RemoveAll(c => !c.IsPrimary && c.Id.Equals(channelId, StringComparison.OrdinalIgnoreCase)) > 0;
        }
    }

    public Channel? FindChannel(Guid teamId, string channelId) =>
        Channels(teamId).FirstOrDefault(c => c.Id.Equals(channelId, StringComparison.OrdinalIgnoreCase));

    public IReadOnlyList<ChannelTab> Tabs(Guid teamId, string channelId)
    {
        lock (_gate)
        {
            return [.. _tabs.Where(t => t.TeamId == teamId && t.ChannelId.Equals(channelId, StringComparison.OrdinalIgnoreCase))];
        }
    }

    public ChannelTab AddTab(Guid teamId, string channelId, string displayName, Guid teamsAppId, TabConfiguration configuration)
    {
        var tab = new ChannelTab(Guid.NewGuid().ToString(), teamId, channelId, displayName, teamsAppId, configuration);
        lock (_gate)
        {
            _tabs.Add(tab);
        }

        return tab;
    }

    // ---- Members ----

    public IReadOnlyList<TeamMember> Members(Guid teamId)
    {
        lock (_gate)
        {
            return _members.TryGetValue(teamId, out var members) ? [.. members] : [];
        }
    }

    /// <summary>Adds a member, or changes their role if they are one already.</summary>
    public bool AddMember(Guid teamId, Guid userId, bool isOwner = false)
    {
        Team team;
        lock (_gate)
        {
            if (!_teams.TryGetValue(teamId, out team!) || _state.FindUser(userId) is not { } user || user.TenantId != team.TenantId)
            {
                return false;
            }

            var members = _members[teamId];
            var index = members.FindIndex(m => m.UserId == userId);
            if (index >= 0)
            {
                members[index] = members[index] with { IsOwner = isOwner };
                return true;
            }

            members.Add(new TeamMember(teamId, userId, isOwner));
        }

        Raise([new TeamsChangedEventArgs(TeamsChangeKind.MemberAdded, team.TenantId, teamId, userId, null, null)]);
        return true;
    }

    public bool RemoveMember(Guid teamId, Guid userId)
    {
        Team team;
        lock (_gate)
        {
            if (!_teams.TryGetValue(teamId, out team!) || _members[teamId].RemoveAll(m => m.UserId == userId) == 0)
            {
                return false;
            }
        }

        Raise([new TeamsChangedEventArgs(TeamsChangeKind.MemberRemoved, team.TenantId, teamId, userId, null, null)]);
        return true;
    }

    // ---- Installations ----

    public IReadOnlyList<AppInstallation> Installations(InstallationScope scope, Guid targetId)
    {
        lock (_gate)
        {
            return [.. _installations.Values.Where(i => i.Scope == scope && i.TargetId == targetId).OrderBy(i => i.InstalledAt).ThenBy(i => i.Id, StringComparer.Ordinal)];
        }
    }

    public AppInstallation? FindInstallation(InstallationScope scope, Guid targetId, string installationId)
    {
        lock (_gate)
        {
            return _installations.GetValueOrDefault(installationId) is { } i && i.Scope == scope && i.TargetId == targetId ? i : null;
        }
    }

    /// <summary>Installs an app in a team; null when it is installed there already.</summary>
    public AppInstallation? InstallInTeam(Guid tenantId, Guid teamId, Guid teamsAppId)
    {
        AppInstallation? installation;
        lock (_gate)
        {
            installation = AddInstallationLocked(InstallationScope.Team, tenantId, teamId, teamsAppId, false);
        }

        if (installation is not null)
        {
            Raise([new TeamsChangedEventArgs(TeamsChangeKind.AppInstalledInTeam, tenantId, teamId, null, teamsAppId, installation.Id)]);
        }

        return installation;
    }

    /// <summary>
    /// Installs an app for a user; null when it is installed already. An install
    /// <paramref name="awaitingTeamsClient"/> is announced only when the user opens Teams.
    /// </summary>
    public AppInstallation? InstallForUser(Guid tenantId, Guid userId, Guid teamsAppId, bool awaitingTeamsClient)
    {
        AppInstallation? installation;
        lock (_gate)
        {
            installation = AddInstallationLocked(InstallationScope.User, tenantId, userId, teamsAppId, awaitingTeamsClient);
        }

        if (installation is { AwaitingTeamsClient: false })
        {
            Raise([new TeamsChangedEventArgs(TeamsChangeKind.AppInstalledForUser, tenantId, null, userId, teamsAppId, installation.Id)]);
        }

        return installation;
    }

    public bool Uninstall(InstallationScope scope, Guid targetId, string installationId)
    {
        AppInstallation? installation;
        lock (_gate)
        {
            installation = _installations.GetValueOrDefault(installationId);
            if (installation is null || installation.Scope != scope || installation.TargetId != targetId)
            {
                return false;
            }

            _installations.Remove(installationId);
        }

        Raise([scope == InstallationScope.Team
            ? new TeamsChangedEventArgs(TeamsChangeKind.AppRemovedFromTeam, installation.TenantId, targetId, null, installation.TeamsAppId, installationId)
            : new TeamsChangedEventArgs(TeamsChangeKind.AppRemovedForUser, installation.TenantId, null, targetId, installation.TeamsAppId, installationId)]);
        return true;
    }

    // ---- The user's Teams client ----

    /// <summary>Whether the user has ever opened Teams (the seeded <c>NeverOpenedTeams</c> flag, until <see cref="OpenTeams"/>).</summary>
    public bool HasOpenedTeams(User user)
    {
        lock (_gate)
        {
            return !user.NeverOpenedTeams || _openedTeams.Contains(user.Id);
        }
    }

    /// <summary>The user opens Teams for the first time: installs waiting for their client complete.</summary>
    public void OpenTeams(Guid userId)
    {
        var changes = new List<TeamsChangedEventArgs>();
        lock (_gate)
        {
            _openedTeams.Add(userId);
            foreach (var waiting in _installations.Values.Where(i => i.Scope == InstallationScope.User && i.TargetId == userId && i.AwaitingTeamsClient).ToList())
            {
                _installations[waiting.Id] = waiting with { AwaitingTeamsClient = false };
                changes.Add(new TeamsChangedEventArgs(TeamsChangeKind.AppInstalledForUser, waiting.TenantId, null, userId, waiting.TeamsAppId, waiting.Id));
            }
        }

        Raise(changes);
    }

    /// <summary>Announces teams whose creation has finished since the last look.</summary>
    private void Settle()
    {
        var now = _time.GetUtcNow();
        var changes = new List<TeamsChangedEventArgs>();
        lock (_gate)
        {
            if (_unannounced.Count == 0)
            {
                return;
            }

            foreach (var team in _unannounced.Select(id => _teams[id]).Where(t => t.IsReadyAt(now) || t.CreationFailed).ToList())
            {
                _unannounced.Remove(team.Id);
                if (team.CreationFailed || now < team.ReadyAt)
                {
                    continue;
                }

                changes.Add(new TeamsChangedEventArgs(TeamsChangeKind.TeamCreated, team.TenantId, team.Id, null, null, null));
                changes.AddRange(_installations.Values.Where(i => i.Scope == InstallationScope.Team && i.TargetId == team.Id)
                    .Select(i => new TeamsChangedEventArgs(TeamsChangeKind.AppInstalledInTeam, team.TenantId, team.Id, null, i.TeamsAppId, i.Id)));
            }
        }

        Raise(changes);
    }

    private void AddTeamLocked(Team team, IEnumerable<(Guid UserId, bool IsOwner)> members, IEnumerable<Guid> teamsAppIds)
    {
        if (!_teams.TryAdd(team.Id, team))
        {
            throw new InvalidOperationException($"Team {team.Id} already exists.");
        }

        _channels.Add(team.Id, [new Channel(team.GeneralChannelId, team.Id, "General", team.Description, team.CreatedDateTime, true)]);
        _members.Add(team.Id, [.. members.DistinctBy(m => m.UserId).Select(m => new TeamMember(team.Id, m.UserId, m.IsOwner))]);
        foreach (var appId in teamsAppIds.Distinct())
        {
            AddInstallationLocked(InstallationScope.Team, team.TenantId, team.Id, appId, false);
        }
    }

    private AppInstallation? AddInstallationLocked(InstallationScope scope, Guid tenantId, Guid targetId, Guid teamsAppId, bool awaitingTeamsClient)
    {
        var id = TeamsIds.Opaque($"{targetId}##{teamsAppId}");
        if (_installations.ContainsKey(id))
        {
            return null;
        }

        var installation = new AppInstallation(id, scope, tenantId, targetId, teamsAppId, _time.GetUtcNow(), awaitingTeamsClient);
        _installations.Add(id, installation);
        return installation;
    }

    private void RequireTenant(Guid tenantId)
    {
        if (_state.FindTenant(tenantId.ToString()) is null)
        {
            throw new InvalidOperationException($"Tenant {tenantId} does not exist.");
        }
    }

    private void Raise(List<TeamsChangedEventArgs> changes)
    {
        foreach (var change in changes)
        {
            Changed?.Invoke(this, change);
        }
    }
}
