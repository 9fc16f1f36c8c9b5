using System.Globalization;

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

    /// <summary>
    /// One line of timings: p50 and p95 of <paramref name="milliseconds"/> and p95 as a share of the
    /// bound it is meant to stay under (above 1.00 means over). Printed, never asserted: wall time
    /// on a shared machine is not a test result.
    /// </summary>
    public static string Timing(string name, IEnumerable<double> milliseconds, TimeSpan bound, string? detail = null)
    {
        var sorted = milliseconds.Order().ToList();
        if (sorted.Count == 0)
        {
            throw new ArgumentException("No timings to summarise.", nameof(milliseconds));
        }

        var p50 = sorted[(int)Math.Ceiling(sorted.Count * 0.50) - 1];
        var p95 = sorted[(int)Math.Ceiling(sorted.Count * 0.95) - 1];
        var ratio = p95 / bound.TotalMilliseconds;
        return string.Create(CultureInfo.InvariantCulture,
            $"  {name,-46} p50 {p50,7:F1} ms   p95 {p95,7:F1} ms   p95/bound {ratio,5:F2}{(ratio > 1 ? " OVER" : "")}{(detail is null ? "" : $"   ({detail})")}");
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
