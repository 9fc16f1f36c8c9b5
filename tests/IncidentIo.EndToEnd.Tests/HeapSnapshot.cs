using System.Diagnostics;
using IncidentIo.Testing;

namespace IncidentIo.EndToEnd.Tests;

/// <summary>
/// With <c>BENCH_GCDUMP=1</c>, a benchmark also writes a heap snapshot (dotnet-gcdump, a .NET tool
/// installed with <c>dotnet tool install -g dotnet-gcdump</c>) to artifacts/gcdumps, to see by type
/// what the memory it measured is made of (<c>dotnet-gcdump report FILE</c>).
/// </summary>
public static class HeapSnapshot
{
    public static async Task TakeIfAskedAsync(int processId, string name)
    {
        if (Environment.GetEnvironmentVariable("BENCH_GCDUMP") != "1")
        {
            return;
        }

        var folder = Path.Combine(RepositoryPaths.Root, "artifacts", "gcdumps");
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, string.Concat(name.Split(Path.GetInvalidFileNameChars())).Replace(' ', '-') + ".gcdump");
        var tool = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools", "dotnet-gcdump");
        var start = new ProcessStartInfo(File.Exists(tool) ? tool : "dotnet-gcdump") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "collect", "-p", processId.ToString(System.Globalization.CultureInfo.InvariantCulture), "-o", file })
        {
            start.ArgumentList.Add(argument);
        }

        using var dump = Process.Start(start)!;
        var output = await dump.StandardOutput.ReadToEndAsync() + await dump.StandardError.ReadToEndAsync();
        await dump.WaitForExitAsync();
        Assert.True(dump.ExitCode == 0, $"dotnet-gcdump failed: {output}");
    }
}
