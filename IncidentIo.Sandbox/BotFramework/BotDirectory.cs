using IncidentIo.Sandbox.State;

namespace IncidentIo.Sandbox.BotFramework;

/// <summary>
/// An in-memory <see cref="IBotDirectory"/> that tests and hosts fill by hand. Users come from
/// the Sandbox's directory (so seeded users exist) unless added here explicitly; users blocked by
/// policy never count as having the app.
/// </summary>
public sealed class BotDirectory(SandboxState? state = null) : IBotDirectory
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(Guid TenantId, Guid UserId), BotMember> _users = [];
    private readonly HashSet<(string BotAppId, Guid TenantId, Guid UserId)> _personal = [];
    private readonly Dictionary<string, BotTeam> _teams = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, List<BotMember>> _members = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<(string BotAppId, string TeamId)> _teamInstalls = [];

    public BotMember AddUser(BotMember member)
    {
        lock (_gate)
        {
            _users[(member.TenantId, member.AadObjectId)] = member;
            return member;
        }
    }

    public void InstallForUser(string botAppId, Guid tenantId, Guid aadObjectId)
    {
        lock (_gate)
        {
            _personal.Add((botAppId.ToLowerInvariant(), tenantId, aadObjectId));
        }
    }

    public bool UninstallForUser(string botAppId, Guid tenantId, Guid aadObjectId)
    {
        lock (_gate)
        {
            return _personal.Remove((botAppId.ToLowerInvariant(), tenantId, aadObjectId));
        }
    }

    /// <summary>Adds (or replaces) a team with its members, in the given order.</summary>
    public BotTeam AddTeam(BotTeam team, IEnumerable<BotMember> members)
    {
        lock (_gate)
        {
            _teams[team.Id] = team;
            _members[team.Id] = [.. members];
            return team;
        }
    }

    /// <summary>A team with a new General channel thread id and the given members.</summary>
    public BotTeam AddTeam(Guid tenantId, string name, IEnumerable<BotMember> members)
    {
        var id = ConnectorIds.NewThreadId();
        return AddTeam(new BotTeam(id, tenantId, Guid.NewGuid(), name, [new BotTeamChannel(id, "General")]), members);
    }

    public void AddTeamMember(string teamId, BotMember member)
    {
        lock (_gate)
        {
            var list = _members[teamId];
            list.RemoveAll(m => m.AadObjectId == member.AadObjectId);
            list.Add(member);
        }
    }

    public bool RemoveTeamMember(string teamId, Guid aadObjectId)
    {
        lock (_gate)
        {
            return _members.TryGetValue(teamId, out var list) && list.RemoveAll(m => m.AadObjectId == aadObjectId) > 0;
        }
    }

    public BotTeam RenameTeam(string teamId, string name)
    {
        lock (_gate)
        {
            var team = _teams[teamId] with { Name = name };
            _teams[teamId] = team;
            return team;
        }
    }

    public void InstallInTeam(string botAppId, string teamId)
    {
        lock (_gate)
        {
            _teamInstalls.Add((botAppId.ToLowerInvariant(), teamId.ToLowerInvariant()));
        }
    }

    public bool UninstallFromTeam(string botAppId, string teamId)
    {
        lock (_gate)
        {
            return _teamInstalls.Remove((botAppId.ToLowerInvariant(), teamId.ToLowerInvariant()));
        }
    }

    public BotMember? FindUser(Guid tenantId, Guid aadObjectId)
    {
        lock (_gate)
        {
            if (_users.TryGetValue((tenantId, aadObjectId), out var member))
            {
                return member;
            }
        }

        return state?.FindUser(aadObjectId) is { } user && user.TenantId == tenantId ? FromUser(user) : null;
    }

    public bool IsInstalledForUser(string botAppId, Guid tenantId, Guid aadObjectId)
    {
        if (state?.FindUser(aadObjectId) is { BlockedByPolicy: true })
        {
            return false;
        }

        lock (_gate)
        {
            return _personal.Contains((botAppId.ToLowerInvariant(), tenantId, aadObjectId));
        }
    }

    public bool IsInBotTeam(string botAppId, Guid tenantId, Guid aadObjectId)
    {
        lock (_gate)
        {
            return _teamInstalls.Where(i => string.Equals(i.BotAppId, botAppId, StringComparison.OrdinalIgnoreCase))
                .Any(i => _teams.Values.FirstOrDefault(t => t.Id.Equals(i.TeamId, StringComparison.OrdinalIgnoreCase)) is { } team
                    && team.TenantId == tenantId
                    && _members.TryGetValue(team.Id, out var members) && members.Any(m => m.AadObjectId == aadObjectId));
        }
    }

    public BotTeam? FindTeamByThread(string threadId)
    {
        lock (_gate)
        {
            return _teams.TryGetValue(threadId, out var team) ? team : _teams.Values.FirstOrDefault(t => t.HasThread(threadId));
        }
    }

    public bool IsInstalledInTeam(string botAppId, string teamId)
    {
        lock (_gate)
        {
            return _teamInstalls.Contains((botAppId.ToLowerInvariant(), teamId.ToLowerInvariant()));
        }
    }

    public IReadOnlyList<BotMember> TeamMembers(string teamId)
    {
        lock (_gate)
        {
            return _members.TryGetValue(teamId, out var list) ? [.. list] : [];
        }
    }

    /// <summary>How a directory user appears to bots.</summary>
    public static BotMember FromUser(User user) =>
        new(user.Id, user.TenantId, user.DisplayName, user.GivenName, user.Surname, user.UserPrincipalName);
}
