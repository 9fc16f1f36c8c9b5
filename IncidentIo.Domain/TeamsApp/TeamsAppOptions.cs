namespace IncidentIo.Domain.TeamsApp;

/// <summary>
/// <c>TeamsApp:*</c>: the values that make our Teams app package ours. The defaults are fixed
/// so the embedded default (Sandbox) always builds the same package; production sets every id.
/// </summary>
public sealed class TeamsAppOptions
{
    public const string Section = "TeamsApp";

    /// <summary>The Teams app id (manifest <c>id</c>), shown in Teams admin as the external app id.</summary>
    public string AppId { get; set; } = "8d3f2b6e-4c1a-4e57-9b0d-2f6a7c9e1d01";

    /// <summary>The Entra app id of our bot registration (manifest <c>bots[0].botId</c>).</summary>
    public string BotId { get; set; } = "8d3f2b6e-4c1a-4e57-9b0d-2f6a7c9e1d02";

    /// <summary>The Entra app id the tab asks Teams for SSO tokens for (manifest <c>webApplicationInfo.id</c>).</summary>
    public string TabSsoAppId { get; set; } = "8d3f2b6e-4c1a-4e57-9b0d-2f6a7c9e1d03";

    /// <summary>
    /// Host name, with a port when not 443, that Teams loads our tabs from, e.g.
    /// <c>incidents.example.com</c> or <c>localhost:7080</c>. No scheme, no path.
    /// </summary>
    public string PortalHost { get; set; } = "localhost:7080";

    /// <summary>The app version (MAJOR.MINOR.PATCH). Teams only takes an update whose version is higher.</summary>
    public string Version { get; set; } = "1.1.0";

    /// <summary>The name Teams shows under the app icon (at most 30 characters).</summary>
    public string ShortName { get; set; } = "IncidentIo";

    /// <summary>The name Teams shows where there is room (at most 100 characters, not the same as the short name).</summary>
    public string FullName { get; set; } = "IncidentIo incident management";
}
