using System.Globalization;

namespace IncidentIo.Testing;

/// <summary>
/// Whether a figure must stay at or under its bound (a time, a count), reach it (a share of a
/// limit), or is only reported beside the bound it would have (no bound is stated for it, e.g.
/// the embedded SQLite database's console reads).
/// </summary>
public enum BoundKind
{
    AtMost,
    AtLeast,
    Reported,
}

/// <summary>
/// The scale benchmarks run at. The test run uses the quick sizes; <c>scripts/benchmark.sh</c>
/// sets <c>BENCHMARK_SCALE=full</c> for the sizes the bounds are stated at.
/// </summary>
public static class BenchmarkScale
{
    public const string Variable = "BENCHMARK_SCALE";

    public static bool IsFull =>
        string.Equals(Environment.GetEnvironmentVariable(Variable), "full", StringComparison.OrdinalIgnoreCase);

    public static string Name => IsFull ? "full" : "quick";

    /// <summary>The quick size, or the full one; an explicit setting (e.g. <c>BENCH_SWEEP_PEOPLE</c>) wins over both.</summary>
    public static int Pick(int quick, int full, string? setting = null) =>
        setting is not null && int.TryParse(Environment.GetEnvironmentVariable(setting), out var value) && value > 0
            ? value
            : IsFull ? full : quick;
}

/// <summary>One row of the benchmark table: what was measured, at what size, against which bound.</summary>
public sealed record BenchmarkFigure(string Figure, double Value, string Unit, double Bound, BoundKind Kind, string Size)
{
    public double Ratio => Bound == 0 ? (Value == 0 ? 0 : double.PositiveInfinity) : Value / Bound;

    public bool Passes => Kind switch
    {
        BoundKind.AtMost => Value <= Bound,
        BoundKind.AtLeast => Value >= Bound,
        _ => true,
    };

    public string ToLine() => string.Join('\t',
        Figure,
        Value.ToString("0.###", CultureInfo.InvariantCulture),
        Unit,
        Kind switch { BoundKind.AtMost => "<= ", BoundKind.AtLeast => ">= ", _ => "(" } + Bound.ToString("0.###", CultureInfo.InvariantCulture) + (Kind == BoundKind.Reported ? ")" : ""),
        Ratio.ToString("0.00", CultureInfo.InvariantCulture),
        Kind == BoundKind.Reported ? "info" : Passes ? "pass" : "FAIL",
        Size,
        BenchmarkScale.Name);
}
