namespace IncidentIo.EndToEnd.Tests.Readme;

/// <summary>A command in the README that no test runs does not belong there.</summary>
public sealed class ReadmeCoverageTests
{
    /// <summary>Each command the README shows, and the test that runs it exactly as written.</summary>
    private static readonly Dictionary<string, string> RunBy = new()
    {
        ["dotnet run --project IncidentIo.Portal"] = nameof(ReadmeFirstCommandTests),
        // CI's .ci/run executes it on a clean clone, and reads its last line.
        ["tests/run.sh"] = ".ci/run",
        ["dotnet publish IncidentIo.Portal -c Release -o out/portal"] = nameof(ReadmeProductionTests),
        ["dotnet publish IncidentIo.Worker -c Release -o out/worker"] = nameof(ReadmeProductionTests),
        ["dotnet out/portal/IncidentIo.Portal.dll"] = nameof(ReadmeProductionTests),
        ["dotnet out/worker/IncidentIo.Worker.dll"] = nameof(ReadmeProductionTests),
        ["dotnet run --project IncidentIo.Portal -- --Sandbox:TeamsAppDistribution=store"] = nameof(ReadmeStoreDistributionTests),
        ["dotnet run --project IncidentIo.Portal -- --Sandbox:TeamsAppDistribution=organization"] = nameof(ReadmeOrganizationDistributionTests),
        ["dotnet run --project IncidentIo.Portal -- --Sandbox:TeamsAppDistribution=both"] = nameof(ReadmeBothDistributionTests),
        // tests/run.sh runs it after its own build (adding --no-build), so CI runs it on every clean clone.
        ["scripts/benchmark.sh --quick"] = "tests/run.sh",
        // The same script at its full sizes takes tens of minutes: it is run before a release, not in CI.
        ["scripts/benchmark.sh"] = "by hand, before a release",
    };

    [Fact]
    public void Every_command_the_README_shows_is_run_by_a_test()
    {
        var untested = ReadmeCommands.All.Select(c => c.Command).Where(c => !RunBy.ContainsKey(c)).ToList();

        Assert.True(untested.Count == 0, $"Commands in README.md that no test runs: {string.Join("; ", untested)}");
        Assert.Equal("dotnet run --project IncidentIo.Portal", ReadmeCommands.All[0].Command);
        Assert.Equal("tests/run.sh", ReadmeCommands.All[1].Command);
        Assert.Contains("exec bash tests/run.sh", File.ReadAllText(Path.Combine(IncidentIo.Testing.RepositoryPaths.Root, ".ci", "run")), StringComparison.Ordinal);
    }
}
