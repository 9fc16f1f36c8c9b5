using System.Security.Claims;
using IncidentIo.Domain.MicrosoftCloud;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace IncidentIo.Domain.TeamsApp;

/// <summary>
/// Checks the token Teams gives our tab (<c>authentication.getAuthToken()</c>): an Entra access
/// token issued to our tab app for the signed-in person. Teams' context (user, team) is only a
/// hint; this token is the proof of who is using the tab.
/// </summary>
public sealed class TeamsSsoTokens
{
    /// <summary>The delegated scope the tab app exposes for Teams to ask tokens for.</summary>
    public const string Scope = "access_as_user";

    private readonly ConfigurationManager<OpenIdConnectConfiguration> metadata;
    private readonly string instance;
    private readonly TeamsAppOptions app;
    private readonly TimeProvider clock;
    private readonly ILogger<TeamsSsoTokens> logger;

    public TeamsSsoTokens(IConfiguration configuration, IHttpClientFactory httpClients, IOptions<TeamsAppOptions> app, TimeProvider clock, ILogger<TeamsSsoTokens> logger)
    {
        instance = (configuration["AzureAd:Instance"] ?? "https://login.microsoftonline.com/").TrimEnd('/');
        this.app = app.Value;
        this.clock = clock;
        this.logger = logger;
        // The keys are the same for every tenant; the issuer is checked against the token's own tid below.
        metadata = new ConfigurationManager<OpenIdConnectConfiguration>(
            $"{instance}/common/v2.0/.well-known/openid-configuration",
            new OpenIdConnectConfigurationRetriever(),
            new HttpDocumentRetriever(httpClients.CreateClient(MicrosoftHttp.ClientName)) { RequireHttps = true });
    }

    /// <summary>The person the token proves, or why it proves nothing.</summary>
    public async Task<TeamsSsoResult> ValidateAsync(string? token, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(token) || token.Length > 16 * 1024)
        {
            return TeamsSsoResult.Rejected("Teams gave the tab no usable sign-in token.");
        }

        var handler = new JsonWebTokenHandler();
        if (!handler.CanReadToken(token))
        {
            return TeamsSsoResult.Rejected("The sign-in token is not a JWT.");
        }

        var unverified = handler.ReadJsonWebToken(token);
        if (!unverified.TryGetPayloadValue<string>("tid", out var tidText) || !Guid.TryParse(tidText, out var tenantId))
        {
            return TeamsSsoResult.Rejected("The sign-in token names no tenant.");
        }

        OpenIdConnectConfiguration configuration;
        try
        {
            configuration = await metadata.GetConfigurationAsync(cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            logger.LogWarning(exception, "Microsoft's signing keys could not be read to check a Teams sign-in token");
            return TeamsSsoResult.Rejected("Microsoft's signing keys could not be read just now; try again in a moment.");
        }

        var parameters = new TokenValidationParameters
        {
            IssuerSigningKeys = configuration.SigningKeys,
            // v2 tokens carry Entra's tenant issuer; v1 tokens (apps whose accessTokenVersion is unset) sts.windows.net's.
            ValidIssuers = [$"{instance}/{tenantId}/v2.0", $"https://sts.windows.net/{tenantId}/"],
            // v2 tokens name the app by client id; v1 tokens may name it by its Application ID URI.
            ValidAudiences = [app.TabSsoAppId, $"api://{app.PortalHost}/{app.TabSsoAppId}"],
            ValidateLifetime = true,
            ClockSkew = TimeSpan.FromMinutes(5),
            LifetimeValidator = (notBefore, expires, _, p) => IsCurrent(notBefore, expires, p.ClockSkew),
            RequireSignedTokens = true,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
        };
        var result = await handler.ValidateTokenAsync(token, parameters);
        if (!result.IsValid)
        {
            logger.LogInformation("A Teams sign-in token was refused: {Reason}", result.Exception?.Message);
            return TeamsSsoResult.Rejected(result.Exception switch
            {
                SecurityTokenExpiredException or SecurityTokenInvalidLifetimeException or SecurityTokenNotYetValidException =>
                    "The sign-in token has expired (or is not valid yet). Reload the tab to get a fresh one.",
                SecurityTokenInvalidAudienceException => "The sign-in token was issued to another app.",
                SecurityTokenInvalidIssuerException => "The sign-in token was not issued by the tenant it names.",
                _ => "The sign-in token's signature could not be verified.",
            });
        }

        var claims = result.ClaimsIdentity;
        // The app that asked Entra for the token: Teams or another Microsoft 365 client, never an arbitrary app
        // a tenant's user consented to (which could then replay the person's token at our tab).
        var client = claims.FindFirst("azp")?.Value ?? claims.FindFirst("appid")?.Value;
        if (client is null || !app.AllowedTabClientIds.Contains(client, StringComparer.OrdinalIgnoreCase))
        {
            logger.LogInformation("A Teams sign-in token requested by client app {ClientId} was refused: not a Teams or Microsoft 365 client", client);
            return TeamsSsoResult.Rejected("The sign-in token was requested by an app that is not Teams or Microsoft 365.");
        }

        var scopes = (claims.FindFirst("scp")?.Value ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (!scopes.Contains(Scope, StringComparer.Ordinal))
        {
            return TeamsSsoResult.Rejected($"The sign-in token does not carry the '{Scope}' permission.");
        }

        if (!Guid.TryParse(claims.FindFirst("oid")?.Value, out var objectId))
        {
            return TeamsSsoResult.Rejected("The sign-in token names no person.");
        }

        return TeamsSsoResult.Accepted(new ClaimsPrincipal(claims), tenantId, objectId);
    }

    private bool IsCurrent(DateTime? notBefore, DateTime? expires, TimeSpan skew)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return expires is { } end && now <= end + skew && (notBefore is not { } start || now >= start - skew);
    }
}

public sealed record TeamsSsoResult(bool IsValid, ClaimsPrincipal? Principal, Guid TenantId, Guid ObjectId, string? Problem)
{
    public static TeamsSsoResult Accepted(ClaimsPrincipal principal, Guid tenantId, Guid objectId) => new(true, principal, tenantId, objectId, null);

    public static TeamsSsoResult Rejected(string problem) => new(false, null, Guid.Empty, Guid.Empty, problem);
}
