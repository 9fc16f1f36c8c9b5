using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Identity.Client;
using Microsoft.Identity.Web;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using Microsoft.IdentityModel.Validators;

namespace IncidentIo.Sandbox.Tests.IdentityWeb;

/// <summary>The product's own configuration shape (AzureAd section, organizations) against the Sandbox.</summary>
[Collection(SharedSandbox.Name)]
public sealed class IdentityWebTests(SandboxFixture sandbox)
{
    [Fact]
    public async Task App_token_for_a_tenant_through_ITokenAcquisition_with_organizations_configured()
    {
        var app = sandbox.RegisterApp();
        sandbox.GrantAdminConsent(app, DemoSeed.ContosoTenantId);
        await using var provider = BuildServices(app);

        var token = await provider.GetRequiredService<ITokenAcquisition>()
            .GetAccessTokenForAppAsync("https://graph.microsoft.com/.default", tenant: DemoSeed.ContosoTenantId.ToString());

        var jwt = new JsonWebToken(token);
        Assert.Equal(DemoSeed.ContosoTenantId.ToString(), jwt.GetClaim("tid").Value);
        Assert.Contains(jwt.Claims, c => c.Type == "roles" && c.Value == "User.Read.All");
    }

    [Fact]
    public async Task Id_tokens_pass_the_multi_tenant_issuer_and_signing_key_validation()
    {
        var app = sandbox.RegisterApp();
        var signIn = await DelegatedSignIn.SignInAsync(sandbox, app, "user@contoso.example", ["User.Read"]);
        var config = await OpenIdConnectConfigurationRetriever.GetAsync(
            $"{sandbox.Origin}/organizations/v2.0/.well-known/openid-configuration", new HttpDocumentRetriever(sandbox.Http), CancellationToken.None);
        var parameters = new TokenValidationParameters
        {
            ValidAudience = app.ClientId,
            // Validate on the Sandbox clock, the one the token was issued on.
            LifetimeValidator = (notBefore, expires, _, _) =>
                notBefore <= sandbox.Clock.GetUtcNow().UtcDateTime && expires > sandbox.Clock.GetUtcNow().UtcDateTime,
            IssuerSigningKeys = config.SigningKeys,
            IssuerValidator = AadIssuerValidator.GetAadIssuerValidator($"{sandbox.Origin}/organizations/v2.0", sandbox.Http).Validate,
        };
        parameters.EnableAadSigningKeyIssuerValidation();
        parameters.ConfigurationManager = new StaticConfigurationManager<OpenIdConnectConfiguration>(config);

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(signIn.IdToken, parameters);

        Assert.True(result.IsValid, result.Exception?.ToString());
        Assert.Equal($"{sandbox.Origin}/{DemoSeed.ContosoTenantId}/v2.0", result.Issuer);
    }

    private ServiceProvider BuildServices(AppRegistration app)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureAd:Instance"] = $"{sandbox.Origin}/",
            ["AzureAd:TenantId"] = "organizations",
            ["AzureAd:ClientId"] = app.ClientId,
            ["AzureAd:ClientSecret"] = app.ClientSecrets[0],
            ["AzureAd:CallbackPath"] = "/signin-oidc",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton<IMsalHttpClientFactory>(new MsalHttpClientFactory(sandbox.Http));
        services.AddAuthentication(OpenIdConnectDefaults.AuthenticationScheme)
            .AddMicrosoftIdentityWebApp(configuration.GetSection("AzureAd"))
            .EnableTokenAcquisitionToCallDownstreamApi()
            .AddInMemoryTokenCaches();
        // As the Portal does: one token acquisition for the process (callers outlive requests).
        services.AddTokenAcquisition(isTokenAcquisitionSingleton: true);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = true });
    }
}
