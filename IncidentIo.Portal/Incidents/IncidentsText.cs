using IncidentIo.Domain.Announcements;
using IncidentIo.Domain.Incidents;
using MudBlazor;

namespace IncidentIo.Portal.Incidents;

/// <summary>How incidents and their announcements read and look in the portal.</summary>
public static class IncidentsText
{
    public static Color ColorOf(IncidentSeverity severity) => severity switch
    {
        IncidentSeverity.Sev1 => Color.Error,
        IncidentSeverity.Sev2 => Color.Warning,
        IncidentSeverity.Sev3 => Color.Info,
        _ => Color.Default,
    };

    public static Color ColorOf(IncidentStatus status) => status == IncidentStatus.Resolved ? Color.Success : Color.Primary;

    public static string Label(DeliveryState state) => state switch
    {
        DeliveryState.Pending => "Waiting to be sent",
        DeliveryState.Sending => "Sending",
        DeliveryState.Sent => "Sent",
        DeliveryState.Failed => "Failed",
        DeliveryState.WaitingForInstall => "Installing our app for them",
        DeliveryState.Unreachable => "Cannot be reached",
        DeliveryState.Skipped => "Not sent: channel not listed",
        _ => "Outcome unknown",
    };

    public static Color ColorOf(DeliveryState state) => state switch
    {
        DeliveryState.Sent => Color.Success,
        DeliveryState.Pending or DeliveryState.Sending or DeliveryState.WaitingForInstall => Color.Info,
        DeliveryState.OutcomeUnknown => Color.Warning,
        _ => Color.Error,
    };

    /// <summary>What happened, or why not, for an admin.</summary>
    public static string? Why(AnnouncementDelivery delivery) => delivery.State switch
    {
        DeliveryState.Sent => null,
        DeliveryState.Failed when delivery.NextAttemptAt is { } next => $"{delivery.LastError} Trying again at {next:HH:mm:ss} UTC.",
        _ => delivery.LastError,
    };

    public static bool MaySendAgain(AnnouncementDelivery delivery) =>
        delivery.State is DeliveryState.OutcomeUnknown or DeliveryState.Unreachable || (delivery.State == DeliveryState.Failed && delivery.NextAttemptAt is null);
}
