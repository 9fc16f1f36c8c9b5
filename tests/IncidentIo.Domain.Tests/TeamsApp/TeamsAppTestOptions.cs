using IncidentIo.Domain.TeamsApp;
using Microsoft.Extensions.Options;

namespace IncidentIo.Domain.Tests.TeamsApp;

/// <summary>A production-like configuration whose every value is recognisable in the rendered manifest.</summary>
internal static class TeamsAppTestOptions
{
    public static TeamsAppOptions Production() => new()
    {
        AppId = "11111111-2222-4333-8444-555555555555",
        BotId = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
        TabSsoAppId = "99999999-8888-4777-8666-555555555555",
        PortalHost = "incidents.contoso.example",
        Version = "2.7.13",
        ShortName = "Contoso Incidents",
        FullName = "Contoso incident response for Microsoft Teams",
    };

    public static TeamsAppPackage Package(TeamsAppOptions options) => new(Options.Create(options));
}
