using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.Reachability;

namespace IncidentIo.Domain.Users;

/// <summary>A person in a customer's organisation, identified by their Entra object id.</summary>
public sealed class User
{
    public const int DisplayNameMaxLength = 256;
    public const int UserPrincipalNameMaxLength = 320;
    public const int BotConversationIdMaxLength = 200;
    public const int BotTeamNameMaxLength = 256;

    public Guid Id { get; set; } = Guid.NewGuid();

    public Guid OrganizationId { get; set; }

    public Organization? Organization { get; set; }

    /// <summary>The user's <c>oid</c> in the organisation's tenant (== Graph user id).</summary>
    public Guid MicrosoftObjectId { get; set; }

    public required string DisplayName { get; set; }

    public string? UserPrincipalName { get; set; }

    public UserRole Role { get; set; } = UserRole.Viewer;

    public bool IsActive { get; set; } = true;

    /// <summary>The role taken away at deactivation, given back when the user is seen again.</summary>
    public UserRole? RoleBeforeDeactivation { get; set; }

    public DateTimeOffset? DeactivatedAt { get; set; }

    public string? DeactivationReason { get; set; }

    /// <summary>
    /// Whether the ID token of this person's latest sign-in named a Microsoft Entra role that may grant
    /// tenant-wide consent (<see cref="MicrosoftAdminRoles"/>): one thing that lets staff make them Owner.
    /// </summary>
    public bool MicrosoftAdminAtLastSignIn { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>The bot's 1:1 conversation with the user (<c>a:…</c>), once Teams has told us or we created it.</summary>
    public string? BotConversationId { get; set; }

    /// <summary>
    /// A team with our bot the person was last seen in (roster reads, member-added events); cleared
    /// when they are deactivated, i.e. when they are in no such team. Teams lets our bot message
    /// members of its teams without a personal install of our app (send-proactive-messages page).
    /// </summary>
    public string? BotTeamName { get; set; }

    /// <summary>Whether our app is installed for the user (needed for the bot to message them).</summary>
    public UserAppInstallation AppInstallation { get; set; } = new();

    /// <summary>Deactivates the user and drops any role above Viewer, keeping it for restoring.</summary>
    /// <returns>false when the user was already inactive (nothing changed).</returns>
    public bool Deactivate(string reason, DateTimeOffset at)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        if (!IsActive)
        {
            return false;
        }

        IsActive = false;
        BotTeamName = null;
        DeactivatedAt = at;
        DeactivationReason = reason;
        if (Role > UserRole.Viewer)
        {
            RoleBeforeDeactivation = Role;
            Role = UserRole.Viewer;
        }

        return true;
    }

    /// <summary>Reactivates the user with the role they had before deactivation.</summary>
    /// <returns>false when the user was already active (nothing changed).</returns>
    public bool Reactivate()
    {
        if (IsActive)
        {
            return false;
        }

        IsActive = true;
        DeactivatedAt = null;
        DeactivationReason = null;
        // A role granted while deactivated (above Viewer) wins over the remembered one.
        if (RoleBeforeDeactivation is { } previous && previous > Role)
        {
            Role = previous;
        }

        RoleBeforeDeactivation = null;
        return true;
    }
}

/// <summary>Ordered: a higher value includes what the lower ones may do.</summary>
public enum UserRole
{
    Viewer = 0,
    Responder = 1,
    Admin = 2,
    Owner = 3,
}
