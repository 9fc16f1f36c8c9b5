using System.Globalization;
using IncidentIo.Domain.Reachability;
using IncidentIo.Domain.Users;
using MudBlazor;

namespace IncidentIo.Portal.Support;

/// <summary>How the console names states and times, the same on every page.</summary>
public static class SupportText
{
    public static string Label(InstallationState state) => state switch
    {
        InstallationState.NotInstalled => "Not installed",
        InstallationState.Pending => "Pending",
        InstallationState.Installed => "Installed",
        InstallationState.BlockedByPolicy => "Blocked by policy",
        InstallationState.NeverOpenedTeams => "Never opened Teams",
        InstallationState.NotInCatalog => "Not in app catalog",
        InstallationState.Failed => "Failed",
        _ => state.ToString(),
    };

    public static Color ColorOf(InstallationState state) => state switch
    {
        InstallationState.Installed => Color.Success,
        InstallationState.Pending => Color.Info,
        InstallationState.NeverOpenedTeams => Color.Warning,
        InstallationState.BlockedByPolicy or InstallationState.NotInCatalog or InstallationState.Failed => Color.Error,
        _ => Color.Default,
    };

    // Built once: a class string made on every render would be one more copy per open circuit.
    private static readonly Dictionary<InstallationState, string> FilledChips = Enum.GetValues<InstallationState>().ToDictionary(s => s, s => Chip(s, "filled"));
    private static readonly Dictionary<InstallationState, string> PressedChips = Enum.GetValues<InstallationState>().ToDictionary(s => s, s => Chip(s, "filled") + " mud-clickable mud-ripple");
    private static readonly Dictionary<InstallationState, string> UnpressedChips = Enum.GetValues<InstallationState>().ToDictionary(s => s, s => Chip(s, "outlined") + " mud-clickable mud-ripple");

    /// <summary>The classes MudBlazor gives a small filled chip of the state's colour, for rows drawn as plain markup.</summary>
    public static string ChipClass(InstallationState state) => FilledChips[state];

    /// <summary>A small clickable chip of the state's colour (a button in plain markup): filled while pressed, outlined otherwise.</summary>
    public static string ChipClass(InstallationState state, bool pressed) => (pressed ? PressedChips : UnpressedChips)[state];

    private static string Chip(InstallationState state, string variant) =>
        $"mud-chip mud-chip-{variant} mud-chip-size-small mud-chip-color-{ColorOf(state).ToString().ToLowerInvariant()}";

    /// <summary>What the state means for the bot, when the installer left no message of its own.</summary>
    public static string Explain(InstallationState state) => state switch
    {
        InstallationState.NotInstalled => "Our app is not installed for this person, so the bot cannot message them. Retry the install, or install it for everyone.",
        InstallationState.Pending => "An install is queued or waiting to be retried; this page updates when Microsoft answers.",
        InstallationState.Installed => "Our app is installed and the bot can message this person.",
        InstallationState.BlockedByPolicy => "A Teams app permission policy blocks IncidentIo for this person: a Teams admin must allow it.",
        InstallationState.NeverOpenedTeams => "This person has never opened Teams; the bot can message them once they do. We check again later.",
        InstallationState.NotInCatalog => "IncidentIo is not in the organisation's Teams app catalog: a Teams admin must allow or upload it.",
        InstallationState.Failed => "Microsoft kept refusing or failing; see the history below.",
        _ => "",
    };

    public static string Label(UserRole role) => role.ToString();

    /// <summary>UTC with seconds: people compare these with Microsoft's logs, which are in UTC.</summary>
    public static string When(DateTimeOffset? at) =>
        at is { } value ? value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) : "—";
}
