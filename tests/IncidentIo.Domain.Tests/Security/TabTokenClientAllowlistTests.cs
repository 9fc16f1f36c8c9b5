using IncidentIo.Domain.Hosting;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.TeamsApp;
using IncidentIo.Sandbox.Entra;
using IncidentIo.Sandbox.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace IncidentIo.Domain.Tests.Security;

/// <summary>
/// A genuine token for our tab app, for a real person, but requested by some other client app (one
/// the person consented to) is refused: only Teams' and Microsoft 365's documented clients may
/// hand the tab a token.
/// </summary>
public sealed class TabTokenClientAllowlistTests : IAsyncLifetime
{
    private const string TabAppId = "8d3f2b6e-4c1a-4e57-9b0d-2f6a7c9e1d03";
    private const string OutlookWeb = "bc59ab01-8403-45c6-8796-ac3ef710b3e3";
    private static readonly Guid Contoso = Guid.Parse("c0a7050c-0000-4000-8000-000000000000");
    private static readonly Guid Uma = Guid.Parse("c0a7050c-0001-4000-8000-000000000002");

    private readonly string dataFolder = Directory.CreateTempSubdirectory("incidentio-tab-client-").FullName;
    private LocalCertificates certificates = null!;
    private SandboxHost sandbox = null!;

    public async Task InitializeAsync()
    {
        certificates = LocalCertificates.LoadOrCreate(new DataFolder(dataFolder));
        sandbox = await SandboxHost.StartAsync(new SandboxOptions { ServerCertificate = certificates.Server });
    }

    public async Task DisposeAsync()
    {
        await sandbox.DisposeAsync();
        Directory.Delete(dataFolder, recursive: true);
    }

    private ServiceProvider Services(params string[] clientIds)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Microsoft:Mode"] = "Sandbox",
            ["Microsoft:SandboxOrigin"] = sandbox.Origin,
            ["AzureAd:Instance"] = sandbox.Origin + "/",
            ["TeamsApp:TabSsoAppId"] = TabAppId,
        };
        for (var i = 0; i < clientIds.Length; i++)
        {
            settings[$"TeamsApp:TabClientIds:{i}"] = clientIds[i];
        }
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var collection = new ServiceCollection().AddLogging().AddSingleton(new DataFolder(dataFolder)).AddSingleton(certificates)
            .AddSingleton<IConfiguration>(configuration).AddSingleton(TimeProvider.System);
        collection.AddOptions<MicrosoftOptions>().Bind(configuration.GetSection("Microsoft"));
        collection.AddMicrosoftHttp().AddTeamsAppPackage(configuration);
        return collection.BuildValidated();
    }

    private string Token(Action<Dictionary<string, object>> client)
    {
        var now = DateTimeOffset.UtcNow;
        var claims = new Dictionary<string, object>
        {
            ["iss"] = $"{sandbox.Origin}/{Contoso}/v2.0",
            ["aud"] = TabAppId,
            ["tid"] = Contoso.ToString(),
            ["oid"] = Uma.ToString(),
            ["scp"] = "access_as_user",
            ["ver"] = "2.0",
            ["nbf"] = now.AddMinutes(-1).ToUnixTimeSeconds(),
            ["iat"] = now.AddMinutes(-1).ToUnixTimeSeconds(),
            ["exp"] = now.AddMinutes(59).ToUnixTimeSeconds(),
        };
        client(claims);
        var key = sandbox.SigningKeys.Current;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key.Rsa) { KeyId = key.KeyId }, SecurityAlgorithms.RsaSha256),
        });
    }

    [Fact]
    public async Task The_sandbox_teams_client_token_is_accepted_so_the_refusals_below_would_show()
    {
        await using var services = Services();

        var result = await services.GetRequiredService<TeamsSsoTokens>().ValidateAsync(Token(c => c["azp"] = TokenFactory.TeamsWebClientId));

        Assert.Contains(TokenFactory.TeamsWebClientId, TeamsAppOptions.MicrosoftTabClientIds);
        Assert.True(result.IsValid, result.Problem);
        Assert.Equal(Uma, result.ObjectId);
    }

    [Theory]
    [InlineData("another app's azp")]
    [InlineData("another app's v1 appid")]
    [InlineData("no client named")]
    public async Task A_token_requested_by_another_client_app_is_refused(string what)
    {
        await using var services = Services();
        var token = Token(c =>
        {
            switch (what)
            {
                case "another app's azp":
                    c["azp"] = Guid.NewGuid().ToString();
                    break;
                case "another app's v1 appid":
                    c["iss"] = $"https://sts.windows.net/{Contoso}/";
                    c["ver"] = "1.0";
                    c["appid"] = Guid.NewGuid().ToString();
                    break;
            }
        });

        var result = await services.GetRequiredService<TeamsSsoTokens>().ValidateAsync(token);

        Assert.False(result.IsValid);
        Assert.Equal(Guid.Empty, result.ObjectId);
        Assert.Contains("not Teams or Microsoft 365", result.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_narrowed_list_refuses_a_documented_client_left_out_of_it()
    {
        await using var services = Services("5e3ce6c0-2b1f-4285-8d4b-75ee78787346");
        var tokens = services.GetRequiredService<TeamsSsoTokens>();

        Assert.True((await tokens.ValidateAsync(Token(c => c["azp"] = "5e3ce6c0-2b1f-4285-8d4b-75ee78787346"))).IsValid);
        Assert.False((await tokens.ValidateAsync(Token(c => c["azp"] = OutlookWeb))).IsValid);
    }

    [Fact]
    public async Task A_client_id_that_is_not_a_guid_stops_the_start()
    {
        await using var services = Services("teams-web");

        var failure = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<TeamsAppOptions>>().Value);

        Assert.Contains("TeamsApp:TabClientIds:0 must be a GUID", failure.Message, StringComparison.Ordinal);
    }
}
