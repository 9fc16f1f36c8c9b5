using Microsoft.Extensions.Hosting;
using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using IncidentIo.Sandbox.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace IncidentIo.Sandbox.Tests.BotFramework;

/// <summary>
/// A minimal bot messaging endpoint on loopback https. It authenticates each activity the way the
/// Bot Framework protocol prescribes, with the standard libraries: OpenID metadata and keys from
/// the Sandbox's bot metadata URL, issuer <c>https://api.botframework.com</c>, audience = app id,
/// lifetime with 5 minutes' skew, signature, then the key's endorsement of the activity's
/// channel and the <c>serviceurl</c> claim against the activity. Failures answer 403.
/// </summary>
public sealed class TestBot : IAsyncDisposable
{
    private readonly WebApplication _web;
    private readonly string _appId;
    private readonly HttpClient _metadataClient;
    private ConfigurationManager<OpenIdConnectConfiguration> _metadata;
    private int _failures;
    private int _failureStatus;

    private TestBot(WebApplication web, string appId, string metadataUrl, HttpClient metadataClient)
    {
        _web = web;
        _appId = appId;
        MetadataUrl = metadataUrl;
        _metadataClient = metadataClient;
        _metadata = NewMetadata();
    }

    public Uri Endpoint { get; private set; } = null!;

    public string MetadataUrl { get; }

    /// <summary>Activities that passed authentication, in arrival order.</summary>
    public ConcurrentQueue<JsonObject> Received { get; } = new();

    /// <summary>The <c>Authorization</c> header each authenticated activity came with, by activity id.</summary>
    public ConcurrentDictionary<string, string> Authorizations { get; } = new();

    /// <summary>Why requests were refused (403), in arrival order.</summary>
    public ConcurrentQueue<string> Rejections { get; } = new();

    /// <summary>
    /// Starts the bot. Metadata is fetched with a client trusting the test CA, through
    /// <paramref name="metadataHandler"/> when given (e.g. one that sends Microsoft's hosts to the Sandbox).
    /// </summary>
    public static async Task<TestBot> StartAsync(string appId, string metadataUrl, HttpMessageHandler? metadataHandler = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Host.UseDefaultServiceProvider(o => (o.ValidateScopes, o.ValidateOnBuild) = (true, true));
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(TestCertificates.Authority.ServerCertificate)));
        var web = builder.Build();
        var bot = new TestBot(web, appId, metadataUrl, new HttpClient(metadataHandler ?? TestCertificates.Authority.CreateTrustingHandler()));
        web.MapPost("/api/messages", (Delegate)bot.HandleAsync);
        await web.StartAsync();
        var address = web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        bot.Endpoint = new Uri($"https://localhost:{new Uri(address).Port}/api/messages");
        return bot;
    }

    /// <summary>The next <paramref name="count"/> activities get <paramref name="status"/> before any check.</summary>
    public void FailNext(int count, int status = 500)
    {
        _failureStatus = status;
        Interlocked.Exchange(ref _failures, count);
    }

    /// <summary>Forgets cached metadata and keys, as a bot does when it meets an unknown key id.</summary>
    public void RefreshMetadata() => _metadata = NewMetadata();

    /// <summary>What the bot answers an invoke with (the HTTP response's JSON body); null answers 200 with no body.</summary>
    public Func<JsonObject, JsonObject?>? InvokeAnswer { get; set; }

    public JsonObject Last(string type) => Received.Last(a => a["type"]!.GetValue<string>() == type);

    public async ValueTask DisposeAsync()
    {
        await _web.DisposeAsync();
        _metadataClient.Dispose();
    }

    private ConfigurationManager<OpenIdConnectConfiguration> NewMetadata() =>
        new(MetadataUrl, new OpenIdConnectConfigurationRetriever(), new HttpDocumentRetriever(_metadataClient) { RequireHttps = true });

    private async Task<IResult> HandleAsync(HttpContext http)
    {
        if (Interlocked.Decrement(ref _failures) >= 0)
        {
            return Results.StatusCode(_failureStatus);
        }

        var (problem, activity) = await AuthenticateAsync(http);
        if (problem is not null)
        {
            Rejections.Enqueue(problem);
            return Results.StatusCode(StatusCodes.Status403Forbidden);
        }

        return activity?["type"]?.GetValue<string>() == "invoke" && InvokeAnswer?.Invoke(activity) is { } answer
            ? Results.Text(answer.ToJsonString(), "application/json")
            : Results.Ok();
    }

    private async Task<(string? Problem, JsonObject? Activity)> AuthenticateAsync(HttpContext http)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            return ("no bearer token", null);
        }

        var config = await _metadata.GetConfigurationAsync(http.RequestAborted);
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(header[7..], new TokenValidationParameters
        {
            ValidIssuer = "https://api.botframework.com",
            ValidAudience = _appId,
            IssuerSigningKeys = config.SigningKeys,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            ValidateIssuerSigningKey = true,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ClockSkew = TimeSpan.FromMinutes(5),
            ValidAlgorithms = ["RS256"],
        });
        if (!result.IsValid)
        {
            return ($"token: {result.Exception?.GetType().Name}", null);
        }

        var activity = await JsonNode.ParseAsync(http.Request.Body) as JsonObject;
        var channelId = activity?["channelId"]?.GetValue<string>();
        var token = (JsonWebToken)result.SecurityToken;
        var key = config.JsonWebKeySet.Keys.Single(k => k.Kid == token.Kid);
        if (channelId is null || !Endorsements(key).Contains(channelId))
        {
            return ("endorsement", null);
        }

        if (!token.TryGetPayloadValue<string>("serviceurl", out var serviceUrl) || serviceUrl != activity!["serviceUrl"]?.GetValue<string>())
        {
            return ("serviceurl", null);
        }

        if (activity!["id"]?.GetValue<string>() is { } id)
        {
            Authorizations[id] = header;
        }

        Received.Enqueue(activity);
        return (null, activity);
    }

    private static IReadOnlyList<string> Endorsements(JsonWebKey key) =>
        key.AdditionalData.TryGetValue("endorsements", out var value)
            ? value switch
            {
                JsonElement { ValueKind: JsonValueKind.Array } e => [.. e.EnumerateArray().Select(x => x.GetString() ?? "")],
                IEnumerable<object> list => [.. list.Select(x => x?.ToString() ?? "")],
                _ => [],
            }
            : [];
}
