namespace IncidentIo.Testing;

/// <summary>Figures that tests measure, written where tests/run.sh prints them after the run.</summary>
public static class Measurements
{
    public static void Record(string name, string text)
    {
        var folder = Path.Combine(RepositoryPaths.Root, "artifacts", "measurements");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, name + ".txt"), text.TrimEnd() + Environment.NewLine);
    }
}
