namespace IncidentIo.Testing;

public static class RepositoryPaths
{
    /// <summary>The folder holding IncidentIo.sln, found from the test assembly's location.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The built entry assembly of a product project, in the same configuration as the tests.</summary>
    public static string ProductAssembly(string project)
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = Path.Combine(Root, project, "bin", configuration, "net10.0", $"{project}.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"Build {project} ({configuration}) first: {path} is missing.", path);
    }

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "IncidentIo.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException("IncidentIo.sln not found above " + AppContext.BaseDirectory);
    }
}
