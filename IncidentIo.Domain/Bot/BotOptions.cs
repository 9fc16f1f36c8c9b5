namespace IncidentIo.Domain.Bot;

/// <summary>
/// <c>Bot:*</c>: our bot's credentials and where Microsoft's Bot Framework lives. The bot's app id
/// is <c>TeamsApp:BotId</c> (the manifest's <c>bots[0].botId</c>).
/// </summary>
public sealed class BotOptions
{
    public const string Section = "Bot";

    /// <summary>The client secret of the bot's Entra app registration (for connector tokens).</summary>
    public string? ClientSecret { get; set; }

    /// <summary>Entra authority for connector tokens: a multi-tenant bot asks the <c>botframework.com</c> tenant.</summary>
    public string TokenAuthority { get; set; } = "https://login.microsoftonline.com/botframework.com";

    /// <summary>The scope connector tokens are asked for.</summary>
    public string ConnectorScope { get; set; } = "https://api.botframework.com/.default";

    /// <summary>The Bot Framework channel's OpenID metadata: whose keys sign the activities posted to us.</summary>
    public string OpenIdMetadataUrl { get; set; } = "https://login.botframework.com/v1/.well-known/openidconfiguration";

    /// <summary>The issuer of the channel's tokens.</summary>
    public string ChannelIssuer { get; set; } = "https://api.botframework.com";

    /// <summary>Largest activity body we read; larger requests are refused with 413 before parsing.</summary>
    public int MaxActivityBytes { get; set; } = 256 * 1024;

    /// <summary>Clock skew allowed on the channel's token lifetime.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long the channel's metadata and signing keys are used before they are read again.</summary>
    public TimeSpan MetadataLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>
    /// A token signed by a key we do not know makes us read the keys again (the channel rotates
    /// them), but not more often than this: anyone can send a token naming an unknown key.
    /// </summary>
    public TimeSpan KeyRefreshMinInterval { get; set; } = TimeSpan.FromMinutes(1);
}
