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

    private static readonly Lock FiguresLock = new();

    /// <summary>
    /// Adds a row to <c>artifacts/measurements/figures.tsv</c>, the table <c>scripts/benchmark.sh</c>
    /// prints. Figures are reported, never asserted: a wall time on a loaded machine is not a test.
    /// </summary>
    public static BenchmarkFigure Figure(string figure, double value, string unit, double bound, BoundKind kind = BoundKind.AtMost, string size = "")
    {
        var row = new BenchmarkFigure(figure, value, unit, bound, kind, size);
        var folder = Path.Combine(RepositoryPaths.Root, "artifacts", "measurements");
        Directory.CreateDirectory(folder);
        lock (FiguresLock)
        {
            File.AppendAllText(Path.Combine(folder, "figures.tsv"), row.ToLine() + Environment.NewLine);
        }

        return row;
    }
}
