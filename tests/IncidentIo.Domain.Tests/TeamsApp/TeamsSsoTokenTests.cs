using System.Security.Cryptography;
using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.TeamsApp;
using IncidentIo.Sandbox.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace IncidentIo.Domain.Tests.TeamsApp;

/// <summary>
/// The tab's proof of who is using it: tokens signed with the Sandbox's Entra keys (read through its
/// OpenID metadata, as in production) pass; anything forged, stale or meant for someone else does not.
/// </summary>
public sealed class TeamsSsoTokenTests : IAsyncLifetime
{
    private const string TabAppId = "8d3f2b6e-4c1a-4e57-9b0d-2f6a7c9e1d03";
    private static readonly Guid Contoso = Guid.Parse("c0a7050c-0000-4000-8000-000000000000");
    private static readonly Guid Uma = Guid.Parse("c0a7050c-0001-4000-8000-000000000002");

    private readonly string dataFolder = Directory.CreateTempSubdirectory("incidentio-sso-").FullName;
    private SandboxHost sandbox = null!;
    private ServiceProvider services = null!;

    public async Task InitializeAsync()
    {
        var certificates = LocalCertificates.LoadOrCreate(new DataFolder(dataFolder));
        sandbox = await SandboxHost.StartAsync(new SandboxOptions { ServerCertificate = certificates.Server });
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Microsoft:Mode"] = "Sandbox",
            ["Microsoft:SandboxOrigin"] = sandbox.Origin,
            ["AzureAd:Instance"] = sandbox.Origin + "/",
            ["TeamsApp:TabSsoAppId"] = TabAppId,
            ["TeamsApp:PortalHost"] = "incidents.example.com",
        }).Build();
        var collection = new ServiceCollection().AddLogging().AddSingleton(new DataFolder(dataFolder)).AddSingleton(certificates)
            .AddSingleton<IConfiguration>(configuration).AddSingleton(TimeProvider.System);
        collection.AddOptions<MicrosoftOptions>().Bind(configuration.GetSection("Microsoft"));
        collection.AddMicrosoftHttp().AddTeamsAppPackage(configuration);
        services = collection.BuildValidated();
    }

    public async Task DisposeAsync()
    {
        await services.DisposeAsync();
        await sandbox.DisposeAsync();
        Directory.Delete(dataFolder, recursive: true);
    }

    private TeamsSsoTokens Tokens => services.GetRequiredService<TeamsSsoTokens>();

    private Dictionary<string, object> Claims(Action<Dictionary<string, object>>? change = null)
    {
        var now = DateTimeOffset.UtcNow;
        var claims = new Dictionary<string, object>
        {
            ["iss"] = $"{sandbox.Origin}/{Contoso}/v2.0",
            ["aud"] = TabAppId,
            ["tid"] = Contoso.ToString(),
            ["oid"] = Uma.ToString(),
            ["name"] = "Uma User",
            ["preferred_username"] = "user@contoso.example",
            ["scp"] = "access_as_user",
            ["azp"] = "5e3ce6c0-2b1f-4285-8d4b-75ee78787346", // Teams web
            ["ver"] = "2.0",
            ["nbf"] = now.AddMinutes(-1).ToUnixTimeSeconds(),
            ["iat"] = now.AddMinutes(-1).ToUnixTimeSeconds(),
            ["exp"] = now.AddMinutes(59).ToUnixTimeSeconds(),
        };
        change?.Invoke(claims);
        return claims;
    }

    private string SignedBySandbox(Dictionary<string, object> claims)
    {
        var key = sandbox.SigningKeys.Current;
        return Sign(claims, new RsaSecurityKey(key.Rsa) { KeyId = key.KeyId });
    }

    private static string Sign(Dictionary<string, object> claims, SecurityKey key) =>
        new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });

    [Fact]
    public async Task A_token_from_the_tenant_for_our_tab_app_proves_the_person()
    {
        var result = await Tokens.ValidateAsync(SignedBySandbox(Claims()));

        Assert.True(result.IsValid, result.Problem);
        Assert.Equal(Contoso, result.TenantId);
        Assert.Equal(Uma, result.ObjectId);
        Assert.Equal("user@contoso.example", result.Principal!.FindFirst("preferred_username")?.Value);
    }

    [Fact]
    public async Task A_v1_token_naming_our_app_by_its_application_id_uri_is_accepted()
    {
        var token = SignedBySandbox(Claims(c =>
        {
            c["iss"] = $"https://sts.windows.net/{Contoso}/";
            c["aud"] = $"api://incidents.example.com/{TabAppId}";
            c["ver"] = "1.0";
            c.Remove("azp");
            c["appid"] = "1fec8e78-bce4-4aaf-ab1b-5451cc387264"; // Teams desktop: v1 tokens name the client in appid
        }));

        Assert.True((await Tokens.ValidateAsync(token)).IsValid);
    }

    public static TheoryData<string, string> Refusals => new()
    {
        { "expired", "expired" },
        { "another app", "issued to another app" },
        { "another tenant's issuer", "not issued by the tenant it names" },
        { "no access_as_user", "access_as_user" },
        { "no oid", "names no person" },
        { "no tid", "names no tenant" },
        { "not yet valid", "not valid yet" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Tokens_that_prove_nothing_are_refused_with_the_reason(string what, string reason)
    {
        var claims = Claims(c =>
        {
            switch (what)
            {
                case "expired":
                    c["nbf"] = DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeSeconds();
                    c["iat"] = c["nbf"];
                    c["exp"] = DateTimeOffset.UtcNow.AddMinutes(-6).ToUnixTimeSeconds();
                    break;
                case "another app":
                    c["aud"] = "00000003-0000-0000-c000-000000000000";
                    break;
                case "another tenant's issuer":
                    c["iss"] = $"{sandbox.Origin}/{Guid.NewGuid()}/v2.0";
                    break;
                case "no access_as_user":
                    c["scp"] = "User.Read";
                    break;
                case "no oid":
                    c.Remove("oid");
                    break;
                case "no tid":
                    c.Remove("tid");
                    break;
                case "not yet valid":
                    c["nbf"] = DateTimeOffset.UtcNow.AddMinutes(30).ToUnixTimeSeconds();
                    break;
            }
        });

        var result = await Tokens.ValidateAsync(SignedBySandbox(claims));

        Assert.False(result.IsValid);
        Assert.Contains(reason, result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_signed_by_a_key_microsoft_does_not_publish_is_refused_even_with_a_known_key_id()
    {
        using var forger = RSA.Create(2048);
        var token = Sign(Claims(), new RsaSecurityKey(forger) { KeyId = sandbox.SigningKeys.Current.KeyId });

        var result = await Tokens.ValidateAsync(token);

        Assert.False(result.IsValid);
        Assert.Contains("signature", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tampered_token_is_refused()
    {
        var token = SignedBySandbox(Claims());
        var parts = token.Split('.');
        var otherPayload = SignedBySandbox(Claims(c => c["oid"] = Guid.NewGuid().ToString())).Split('.')[1];

        var result = await Tokens.ValidateAsync($"{parts[0]}.{otherPayload}.{parts[2]}");

        Assert.False(result.IsValid);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not a token")]
    [InlineData("eyJhbGciOiJub25lIn0.eyJ0aWQiOiJ4In0.")]
    public async Task Garbage_is_refused_without_asking_microsoft(string? token)
    {
        Assert.False((await Tokens.ValidateAsync(token)).IsValid);
    }
}
