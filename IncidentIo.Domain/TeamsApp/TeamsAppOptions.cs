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

    /// <summary>
    /// The client apps whose tokens the tab accepts (the token's <c>azp</c>, or <c>appid</c> in a v1
    /// token). Unset: <see cref="MicrosoftTabClientIds"/>. Set it only to narrow the list.
    /// </summary>
    public string[]? TabClientIds { get; set; }

    /// <summary>
    /// Teams, Microsoft 365 and Outlook clients that Microsoft documents for tab SSO (the ids a tab
    /// app pre-authorizes): https://learn.microsoft.com/en-us/microsoftteams/platform/tabs/how-to/authentication/tab-sso-register-aad
    /// </summary>
    public static readonly IReadOnlyList<string> MicrosoftTabClientIds =
    [
        "1fec8e78-bce4-4aaf-ab1b-5451cc387264", // Teams mobile or desktop
        "5e3ce6c0-2b1f-4285-8d4b-75ee78787346", // Teams web
        "4765445b-32c6-49b0-83e6-1d93765276ca", // Microsoft 365 web
        "0ec893e0-5785-4de6-99da-4ed124e5296c", // Microsoft 365 desktop
        "d3590ed6-52b3-4102-aeff-aad2292ab01c", // Microsoft 365 mobile, Outlook desktop
        "bc59ab01-8403-45c6-8796-ac3ef710b3e3", // Outlook web
        "27922004-5251-4030-b22d-91ecd9a37ea4", // Outlook mobile
    ];

    /// <summary>The client ids in force: the configured ones, or Microsoft's documented list.</summary>
    public IReadOnlyList<string> AllowedTabClientIds => TabClientIds is { Length: > 0 } configured ? configured : MicrosoftTabClientIds;

    /// <summary>The app version (MAJOR.MINOR.PATCH). Teams only takes an update whose version is higher.</summary>
    public string Version { get; set; } = "1.1.0";

    /// <summary>The name Teams shows under the app icon (at most 30 characters).</summary>
    public string ShortName { get; set; } = "IncidentIo";

    /// <summary>The name Teams shows where there is room (at most 100 characters, not the same as the short name).</summary>
    public string FullName { get; set; } = "IncidentIo incident management";
}
