namespace IncidentIo.Domain.Bot.Connector;

/// <summary>A team as the connector describes it (<c>v3/teams/{id}</c>).</summary>
/// <param name="Id">The bot-facing team id: the General channel's thread id.</param>
/// <param name="AadGroupId">The team's Microsoft 365 group (its Graph team id).</param>
public sealed record BotTeamDetails(string Id, string Name, Guid? AadGroupId);

/// <summary>A channel of a team (<c>v3/teams/{id}/conversations</c>). Teams may leave the General channel's name out.</summary>
public sealed record BotChannel(string Id, string? Name);
