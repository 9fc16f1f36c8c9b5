using System.Globalization;

namespace IncidentIo.Domain.Changes;

/// <summary>What kind of data changed; pages subscribe to the kinds they show.</summary>
public enum ChangeTopic
{
    /// <summary>Per-user app installations (reachability) and their attempts.</summary>
    Installs,

    /// <summary>People of an organisation: joined, deactivated, restored, roles.</summary>
    People,

    /// <summary>Incidents, their updates and their announcement deliveries.</summary>
    Incidents,

    /// <summary>Active-user sweep runs.</summary>
    SweepRuns,

    /// <summary>The automatic install (setup) and its steps.</summary>
    Setup,

    /// <summary>Process-wide: job heartbeats and job servers (no organisation).</summary>
    System,
}

/// <summary>
/// "Organisation X's <see cref="Topic"/> changed". No organisation means process-wide (or every
/// organisation, for a bulk change): every subscriber of the topic hears it.
/// </summary>
public readonly record struct DataChange(ChangeTopic Topic, Guid? OrganizationId)
{
    public static DataChange Of(ChangeTopic topic, Guid organizationId) => new(topic, organizationId);

    public static DataChange Everywhere(ChangeTopic topic) => new(topic, null);

    /// <summary>The wire form in a PostgreSQL notification: <c>Topic:organisation</c> or <c>Topic:*</c>.</summary>
    public string ToPayload() =>
        $"{Topic}:{(OrganizationId is { } id ? id.ToString("N", CultureInfo.InvariantCulture) : "*")}";

    public static bool TryParse(string? payload, out DataChange change)
    {
        change = default;
        var separator = payload?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        if (separator <= 0 || !Enum.TryParse<ChangeTopic>(payload![..separator], ignoreCase: false, out var topic) || !Enum.IsDefined(topic))
        {
            return false;
        }

        var organization = payload[(separator + 1)..];
        if (organization == "*")
        {
            change = Everywhere(topic);
            return true;
        }

        if (!Guid.TryParseExact(organization, "N", out var id))
        {
            return false;
        }

        change = Of(topic, id);
        return true;
    }
}
