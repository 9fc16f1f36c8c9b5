using Microsoft.AspNetCore.Builder;

namespace IncidentIo.Domain.Hosting;

/// <summary>How the Portal and the Worker create their hosts.</summary>
public static class ProductHost
{
    /// <summary>
    /// The content root is the folder the program was built or published into, not the current
    /// directory: `dotnet out/portal/IncidentIo.Portal.dll` run from anywhere reads its own
    /// appsettings.json and serves its own wwwroot. An operator's explicit content root still wins.
    /// </summary>
    public static WebApplicationOptions Options(string[] args) => new()
    {
        Args = args,
        ContentRootPath = ExplicitContentRoot(args) ?? AppContext.BaseDirectory,
    };

    private static string? ExplicitContentRoot(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i].TrimStart('-', '/');
            if (arg.StartsWith("contentRoot=", StringComparison.OrdinalIgnoreCase))
            {
                return arg["contentRoot=".Length..];
            }

            if (arg.Equals("contentRoot", StringComparison.OrdinalIgnoreCase) && i + 1 < args.Length)
            {
                return args[i + 1];
            }
        }

        return Environment.GetEnvironmentVariable("ASPNETCORE_CONTENTROOT") is { Length: > 0 } configured ? configured : null;
    }
}
