using System.Collections.Concurrent;
using System.Diagnostics;

namespace IncidentIo.Testing;

/// <summary>
/// A product executable (Portal or Worker) run as a real process, configured through
/// environment variables, with its console output kept for assertions and diagnostics.
/// </summary>
public sealed class ProductProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly ConcurrentQueue<string> output = new();

    private ProductProcess(Process process)
    {
        this.process = process;
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Output => string.Join('\n', output);

    public bool HasExited => process.HasExited;

    /// <summary>The operating system's process id, e.g. to read the process's runtime from outside.</summary>
    public int Id => process.Id;

    public int ExitCode => process.ExitCode;

    public static ProductProcess Start(string project, IReadOnlyDictionary<string, string?> environment, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.Combine(RepositoryPaths.Root, project),
        };
        start.ArgumentList.Add(RepositoryPaths.ProductAssembly(project));
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return new ProductProcess(Process.Start(start)!);
    }

    /// <summary>
    /// A command exactly as a person would type it in a fresh shell in <paramref name="workingDirectory"/>:
    /// run by bash, with this machine's environment minus what the test runner itself set (its
    /// MSBuild and test-host variables, any ASP.NET Core environment), plus <paramref name="environment"/>.
    /// </summary>
    public static ProductProcess StartCommand(string command, string workingDirectory, IReadOnlyDictionary<string, string?>? environment = null)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(command);
        foreach (var key in start.Environment.Keys.Where(IsTestRunnerVariable).ToList())
        {
            start.Environment.Remove(key);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            start.Environment[key] = value;
        }

        return new ProductProcess(Process.Start(start)!);
    }

    private static bool IsTestRunnerVariable(string name) =>
        name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || name.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)
        || name.StartsWith("TESTINGPLATFORM", StringComparison.OrdinalIgnoreCase) || name.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase)
        || name is "DOTNET_ENVIRONMENT" or "DOTNET_HOST_PATH";

    /// <summary>Waits until a line containing <paramref name="text"/> is printed; fails if the process exits first.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!output.Any(line => line.Contains(text, StringComparison.Ordinal)))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The process exited ({process.ExitCode}) before printing '{text}':\n{Output}");
            }

            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"'{text}' not printed within {timeout.TotalSeconds} s:\n{Output}");
            }

            await Task.Delay(50);
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cancellation.Token);
        process.WaitForExit(); // drains the redirected output
        return process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            output.Enqueue(line);
        }
    }
}
