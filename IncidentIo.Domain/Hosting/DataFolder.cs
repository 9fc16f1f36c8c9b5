using Microsoft.Extensions.Configuration;

namespace IncidentIo.Domain.Hosting;

/// <summary>
/// Where the embedded default keeps its local state (SQLite file, generated certificates).
/// <c>DataFolder</c> in configuration, relative to the current directory; "data" by default, so
/// `dotnet run --project IncidentIo.Portal` keeps it in the project folder (where `dotnet run` starts
/// the program), not in the build output, which a clean would wipe.
/// Created on first use only, so a process that fails its configuration check leaves nothing behind.
/// </summary>
public sealed class DataFolder(string path)
{
    public const string ConfigurationKey = "DataFolder";

    public string Path { get; } = System.IO.Path.GetFullPath(path);

    public static DataFolder From(IConfiguration configuration) =>
        new(configuration[ConfigurationKey] is { Length: > 0 } configured ? configured : "data");

    /// <summary>The full path of <paramref name="relative"/>, creating its folder if needed.</summary>
    public string Ensure(string relative)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        return full;
    }
}
