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
        var p50 = Percentile(sorted, 0.50);
        var p95 = Percentile(sorted, 0.95);
        var ratio = p95 / bound.TotalMilliseconds;
        return string.Create(CultureInfo.InvariantCulture,
            $"  {name,-46} p50 {p50,7:F1} ms   p95 {p95,7:F1} ms   p95/bound {ratio,5:F2}{(ratio > 1 ? " OVER" : "")}{(detail is null ? "" : $"   ({detail})")}");
    }

    /// <summary>The nearest-rank percentile <paramref name="p"/> (0..1) of <paramref name="values"/>.</summary>
    public static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToList();
        if (sorted.Count == 0)
        {
            throw new ArgumentException("No values to summarise.", nameof(values));
        }

        return sorted[Math.Max(0, (int)Math.Ceiling(p * sorted.Count) - 1)];
    }

    /// <summary>The machine's load average (1, 5, 15 minutes) and cores, printed beside timings.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) + $" on {Environment.ProcessorCount} cores" : "unknown";

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
