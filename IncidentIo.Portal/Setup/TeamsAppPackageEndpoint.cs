using IncidentIo.Domain.TeamsApp;

namespace IncidentIo.Portal.Setup;

/// <summary>
/// The Teams app package for manual install (the customer admin uploads it in Teams or the
/// Teams admin centre), and its manifest on its own so support can read what we ship.
/// </summary>
public static class TeamsAppPackageEndpoint
{
    public const string PackagePath = "/setup/teams-app-package.zip";
    public const string ManifestPath = "/setup/teams-app-manifest.json";

    public static IEndpointRouteBuilder MapTeamsAppPackage(this IEndpointRouteBuilder app)
    {
        app.MapGet(PackagePath, DownloadPackage);
        app.MapGet(ManifestPath, ShowManifest);
        return app;
    }

    private static IResult DownloadPackage(TeamsAppPackage package, HttpResponse response)
    {
        // The file name holds only the checked MAJOR.MINOR.PATCH version, so quoting it is enough.
        response.Headers.ContentDisposition = $"attachment; filename=\"{package.FileName}\"";
        // The address stays the same when the configuration changes; the content must not be reused.
        response.Headers.CacheControl = "no-cache";
        return Results.Bytes(package.BuildZip(), "application/zip");
    }

    private static IResult ShowManifest(TeamsAppPackage package, HttpResponse response)
    {
        response.Headers.CacheControl = "no-cache";
        return Results.Bytes(package.RenderManifestJson(), "application/json; charset=utf-8");
    }
}
