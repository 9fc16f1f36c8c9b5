using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using IncidentIo.Sandbox.Tests.Infrastructure;

namespace IncidentIo.Sandbox.Tests.Referee;

/// <summary>
/// Runs Microsoft's own JavaScript clients (botframework-connector, @azure/msal-node, pinned in
/// <c>Referee/js/package-lock.json</c>) against a Sandbox. <c>npm ci</c> runs once per test run;
/// each script reads its input as JSON on stdin and prints one JSON object on stdout. Node trusts
/// the test CA through <c>NODE_EXTRA_CA_CERTS</c>, and nothing else is special about its network.
/// </summary>
public static class NodeReferee
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);
    private static readonly Lazy<Task> Install = new(InstallAsync);
    private static readonly Lazy<string> CaFile = new(WriteCaFile);

    /// <summary>The folder holding package.json, the lock file and the scripts.</summary>
    public static string Folder { get; } = FindFolder();

    /// <summary>Runs <c>node {script}</c> with <paramref name="input"/> on stdin and returns the JSON it printed.</summary>
    public static async Task<JsonObject> RunAsync(string script, JsonObject input)
    {
        await Install.Value;
        var (exit, stdout, stderr) = await RunProcessAsync("node", [script], input.ToJsonString(), ScriptTimeout);
        if (exit != 0)
        {
            throw new InvalidOperationException($"node {script} exited with {exit}.\nstdout: {stdout}\nstderr: {stderr}");
        }

        var last = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        return (last is null ? null : JsonNode.Parse(last) as JsonObject)
            ?? throw new InvalidOperationException($"node {script} printed no JSON object.\nstdout: {stdout}\nstderr: {stderr}");
    }

    private static async Task InstallAsync()
    {
        // @azure/msal-node 7 declares Node 20 or later; an older node would fail in obscure ways.
        var (_, version, _) = await RunProcessAsync("node", ["--version"], null, ScriptTimeout);
        if (!int.TryParse(version.Trim().TrimStart('v').Split('.')[0], out var major) || major < 20)
        {
            throw new InvalidOperationException($"The referee tests need Node.js 20 or later; 'node --version' says '{version.Trim()}'.");
        }

        var stamp = Path.Combine(Folder, "node_modules", ".installed-from-lock");
        var lockHash = Convert.ToHexString(SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(Folder, "package-lock.json"))));
        if (File.Exists(stamp) && await File.ReadAllTextAsync(stamp) == lockHash)
        {
            return;
        }

        var (exit, stdout, stderr) = await RunProcessAsync("npm", ["ci", "--no-audit", "--no-fund", "--prefer-offline"], null, InstallTimeout);
        if (exit != 0)
        {
            throw new InvalidOperationException($"npm ci failed ({exit}) in {Folder}.\nstdout: {stdout}\nstderr: {stderr}");
        }

        await File.WriteAllTextAsync(stamp, lockHash);
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunProcessAsync(string file, string[] arguments, string? stdin, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = Folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["NODE_EXTRA_CA_CERTS"] = CaFile.Value;
        start.Environment["NO_UPDATE_NOTIFIER"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin);
        }

        process.StandardInput.Close();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish within {timeout}.\nstdout: {await stdout}\nstderr: {await stderr}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The test CA's certificate as PEM, in a temporary file for this run.</summary>
    private static string WriteCaFile()
    {
        var path = Path.Combine(Path.GetTempPath(), $"incidentio-sandbox-test-ca-{Environment.ProcessId}.pem");
        File.WriteAllText(path, TestCertificates.Authority.Root.ExportCertificatePem());
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(path);
        return path;
    }

    private static string FindFolder()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            var candidate = Path.Combine(folder.FullName, "tests", "IncidentIo.Sandbox.Tests", "Referee", "js");
            if (File.Exists(Path.Combine(candidate, "package-lock.json")))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException("tests/IncidentIo.Sandbox.Tests/Referee/js not found above " + AppContext.BaseDirectory);
    }
}
