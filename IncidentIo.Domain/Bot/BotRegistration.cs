using IncidentIo.Domain.ActiveUsers;
using IncidentIo.Domain.Bot.Connector;
using IncidentIo.Domain.Bot.Declare;
using IncidentIo.Domain.Bot.Inbound;
using IncidentIo.Domain.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Bot;

public static class BotRegistration
{
    /// <summary>Our bot: <c>Bot:*</c> and <c>Bot:Connector:*</c> checked at start-up, and the connector it speaks to Teams through.</summary>
    public static IServiceCollection AddBot(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddBotOptions(configuration);
        services.AddSingleton<BotConnector>();
        services.AddSingleton<TeamInstalls>();
        services.TryAddSingleton<TeamsApp.TeamsAppCatalog>();
        services.AddSingleton<BotTeamDetailsRefresh>();
        services.AddSingleton<ChannelTokenValidator>();
        services.AddSingleton<InboundActivities>();
        services.AddSingleton<TeamMembershipChanges>();
        services.AddTransient<TeamMemberRemovals>();
        services.AddSingleton<BotMessages>();
        services.AddSingleton<BotDeclare>();
        return services;
    }

    /// <summary>The bot's settings and their start-up checks alone.</summary>
    public static IServiceCollection AddBotOptions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<BotOptions>().Bind(configuration.GetSection(BotOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<BotOptions>, BotOptionsValidator>();
        services.AddOptions<BotConnectorOptions>().Bind(configuration.GetSection(BotConnectorOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<BotConnectorOptions>, BotConnectorOptionsValidator>();
        // Derived from the settings alone; both the messaging endpoint and the connector consult it.
        services.AddSingleton<ServiceUrlAllowlist>();
        return services;
    }
}

internal sealed class BotOptionsValidator(IConfiguration configuration) : IValidateOptions<BotOptions>
{
    public ValidateOptionsResult Validate(string? name, BotOptions options)
    {
        var failures = new List<string>();
        // Sandbox mode fills it in; an unknown mode is reported on its own (read raw: the mode's own check reports it).
        var live = string.Equals(configuration[$"{MicrosoftOptions.Section}:Mode"], "Live", StringComparison.OrdinalIgnoreCase);
        if (live && string.IsNullOrWhiteSpace(options.ClientSecret))
        {
            failures.Add("Bot:ClientSecret (the client secret of the bot's app registration, TeamsApp:BotId) is required when Microsoft:Mode is 'Live'.");
        }

        foreach (var (key, value) in new[]
                 {
                     ("Bot:TokenAuthority", options.TokenAuthority), ("Bot:OpenIdMetadataUrl", options.OpenIdMetadataUrl),
                 })
        {
            if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
            {
                failures.Add($"{key} must be an absolute https address (it is '{value}').");
            }
        }

        if (options.MaxActivityBytes is < 1024 or > 16 * 1024 * 1024)
        {
            failures.Add($"Bot:MaxActivityBytes must be between 1024 and 16777216 (it is {options.MaxActivityBytes}).");
        }

        if (options.ClockSkew < TimeSpan.Zero || options.ClockSkew > TimeSpan.FromMinutes(10))
        {
            failures.Add($"Bot:ClockSkew must be between 0 and 10 minutes (it is {options.ClockSkew}).");
        }

        if (options.MetadataLifetime < TimeSpan.FromMinutes(1) || options.KeyRefreshMinInterval < TimeSpan.Zero || options.KeyRefreshMinInterval > options.MetadataLifetime)
        {
            failures.Add($"Bot:MetadataLifetime must be at least a minute and Bot:KeyRefreshMinInterval between 0 and it (they are {options.MetadataLifetime} and {options.KeyRefreshMinInterval}).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
