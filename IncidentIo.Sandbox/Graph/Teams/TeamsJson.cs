using System.Globalization;
using System.Text.Json.Nodes;
using IncidentIo.Sandbox.State;

namespace IncidentIo.Sandbox.Graph.Teams;

/// <summary>Graph's Teams resources as JSON: team, group, channel, tab, member, app, installation, operation, chat.</summary>
public static class TeamsJson
{
    public static string Date(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    public static JsonObject Team(Team team) => new()
    {
        ["id"] = team.Id.ToString(),
        ["createdDateTime"] = Date(team.CreatedDateTime),
        ["displayName"] = team.DisplayName,
        ["description"] = team.Description,
        ["internalId"] = team.GeneralChannelId,
        ["classification"] = null,
        ["specialization"] = "none",
        ["visibility"] = team.Visibility,
        ["webUrl"] = $"https://teams.microsoft.com/l/team/{Uri.EscapeDataString(team.GeneralChannelId)}/conversations?groupId={team.Id}&tenantId={team.TenantId}",
        ["isArchived"] = team.IsArchived,
        ["tenantId"] = team.TenantId.ToString(),
        ["isMembershipLimitedToOwners"] = false,
        ["memberSettings"] = new JsonObject
        {
            ["allowCreateUpdateChannels"] = true,
            ["allowDeleteChannels"] = true,
            ["allowAddRemoveApps"] = true,
            ["allowCreateUpdateRemoveTabs"] = true,
            ["allowCreateUpdateRemoveConnectors"] = true,
        },
        ["messagingSettings"] = new JsonObject { ["allowUserEditMessages"] = true, ["allowUserDeleteMessages"] = true },
        ["funSettings"] = new JsonObject { ["allowGiphy"] = true, ["giphyContentRating"] = "moderate" },
        ["discoverySettings"] = new JsonObject { ["showInTeamsSearchAndSuggestions"] = team.Visibility == "public" },
    };

    /// <summary>The short form <c>/teams</c> and <c>joinedTeams</c> return.</summary>
    public static JsonObject TeamSummary(Team team) => new()
    {
        ["id"] = team.Id.ToString(),
        ["displayName"] = team.DisplayName,
        ["description"] = team.Description,
        ["isArchived"] = team.IsArchived,
        ["tenantId"] = team.TenantId.ToString(),
    };

    public static JsonObject Group(Team team, string domain)
    {
        var nickname = new string([.. team.DisplayName.Where(char.IsLetterOrDigit)]);
        return new JsonObject
        {
            ["id"] = team.Id.ToString(),
            ["createdDateTime"] = Date(team.CreatedDateTime),
            ["description"] = team.Description,
            ["displayName"] = team.DisplayName,
            ["groupTypes"] = new JsonArray("Unified"),
            ["mail"] = $"{nickname}@{domain}",
            ["mailEnabled"] = true,
            ["mailNickname"] = nickname,
            ["securityEnabled"] = false,
            ["visibility"] = team.Visibility == "public" ? "Public" : "Private",
            ["resourceProvisioningOptions"] = new JsonArray("Team"),
        };
    }

    public static JsonObject Channel(Channel channel, Team team) => new()
    {
        ["id"] = channel.Id,
        ["createdDateTime"] = Date(channel.CreatedDateTime),
        ["displayName"] = channel.DisplayName,
        ["description"] = channel.Description,
        ["isFavoriteByDefault"] = null,
        ["email"] = "",
        ["tenantId"] = team.TenantId.ToString(),
        ["webUrl"] = $"https://teams.microsoft.com/l/channel/{Uri.EscapeDataString(channel.Id)}/{Uri.EscapeDataString(channel.DisplayName)}?groupId={team.Id}&tenantId={team.TenantId}",
        ["membershipType"] = "standard",
    };

    public static JsonObject Tab(ChannelTab tab, CatalogApp? expandApp)
    {
        var json = new JsonObject
        {
            ["id"] = tab.Id,
            ["displayName"] = tab.DisplayName,
            ["webUrl"] = $"https://teams.microsoft.com/l/channel/{Uri.EscapeDataString(tab.ChannelId)}/tab::{tab.Id}?groupId={tab.TeamId}",
            ["configuration"] = new JsonObject
            {
                ["entityId"] = tab.Configuration.EntityId,
                ["contentUrl"] = tab.Configuration.ContentUrl,
                ["removeUrl"] = tab.Configuration.RemoveUrl,
                ["websiteUrl"] = tab.Configuration.WebsiteUrl,
            },
        };
        if (expandApp is not null)
        {
            json["teamsApp"] = App(expandApp);
        }

        return json;
    }

    public static JsonObject Member(TeamMember member, User? user, Guid tenantId) => new()
    {
        ["@odata.type"] = "#microsoft.graph.aadUserConversationMember",
        ["id"] = member.MembershipId,
        ["roles"] = member.IsOwner ? new JsonArray("owner") : new JsonArray(),
        ["displayName"] = user?.DisplayName,
        ["visibleHistoryStartDateTime"] = "0001-01-01T00:00:00Z",
        ["userId"] = member.UserId.ToString(),
        ["email"] = user?.Mail ?? user?.UserPrincipalName,
        ["tenantId"] = tenantId.ToString(),
    };

    public static JsonObject App(CatalogApp app) => new()
    {
        ["id"] = app.Id.ToString(),
        ["externalId"] = app.ExternalId,
        ["displayName"] = app.DisplayName,
        ["distributionMethod"] = app.DistributionMethod,
    };

    public static JsonObject Definition(CatalogApp app) => new()
    {
        ["id"] = app.DefinitionId,
        ["teamsAppId"] = app.Id.ToString(),
        ["azureADAppId"] = app.AzureAdAppId,
        ["displayName"] = app.DisplayName,
        ["version"] = app.Version,
        ["publishingState"] = "published",
        ["shortDescription"] = app.DisplayName,
        ["description"] = app.DisplayName,
        ["createdBy"] = null,
        // teamsAppAuthorization: the RSC permissions an install must consent to (appcatalogs-list-teamsapps, example 7).
        ["authorization"] = new JsonObject
        {
            ["clientAppId"] = app.AzureAdAppId,
            ["requiredPermissionSet"] = new JsonObject
            {
                ["resourceSpecificPermissions"] = new JsonArray([.. app.ResourceSpecificPermissions.Select(p => (JsonNode)new JsonObject
                {
                    ["permissionValue"] = p.Name,
                    ["permissionType"] = p.IsApplication ? "application" : "delegated",
                })]),
            },
        },
    };

    public static JsonObject Installation(AppInstallation installation, CatalogApp? app, bool expandApp, bool expandDefinition)
    {
        var json = new JsonObject { ["id"] = installation.Id };
        if (expandApp && app is not null)
        {
            json["teamsApp"] = App(app);
        }

        if (expandDefinition && app is not null)
        {
            json["teamsAppDefinition"] = Definition(app);
        }

        return json;
    }

    public static JsonObject Operation(TeamsOperation operation, DateTimeOffset now)
    {
        var status = operation.StatusAt(now);
        return new JsonObject
        {
            ["id"] = operation.Id.ToString(),
            ["operationType"] = "createTeam",
            ["createdDateTime"] = Date(operation.CreatedDateTime),
            ["status"] = status switch
            {
                TeamsOperationStatus.NotStarted => "notStarted",
                TeamsOperationStatus.InProgress => "inProgress",
                TeamsOperationStatus.Succeeded => "succeeded",
                _ => "failed",
            },
            ["lastActionDateTime"] = Date(operation.LastActionAt(now)),
            ["attemptsCount"] = 1,
            ["targetResourceId"] = operation.TeamId.ToString(),
            ["targetResourceLocation"] = $"/groups('{operation.TeamId}')/team",
            ["error"] = status == TeamsOperationStatus.Failed && operation.Error is { } error
                ? new JsonObject { ["code"] = error.Code, ["message"] = error.Message }
                : null,
        };
    }

    public static JsonObject Chat(string chatId, AppInstallation installation) => new()
    {
        ["id"] = chatId,
        ["topic"] = null,
        ["createdDateTime"] = Date(installation.InstalledAt),
        ["lastUpdatedDateTime"] = Date(installation.InstalledAt),
        ["chatType"] = "oneOnOne",
        ["webUrl"] = $"https://teams.microsoft.com/l/chat/{Uri.EscapeDataString(chatId)}/0?tenantId={installation.TenantId}",
        ["tenantId"] = installation.TenantId.ToString(),
        ["isHiddenForAllMembers"] = false,
    };
}
