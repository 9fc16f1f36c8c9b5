using System.Diagnostics;
using IncidentIo.Testing;

namespace IncidentIo.EndToEnd.Tests.Readme;

/// <summary>
/// A fresh clone of this repository in a temporary folder, as a newcomer gets it: only what is
/// committed (no build output, no data folder, no installed npm packages). Removed afterwards.
/// </summary>
public sealed class FreshClone : IDisposable
{
    private FreshClone(string root) => Root = root;

    public string Root { get; }

    public static async Task<FreshClone> CreateAsync()
    {
        var parent = Directory.CreateTempSubdirectory("incidentio-clone-").FullName;
        var root = Path.Combine(parent, "IncidentIo");
        var git = Process.Start(new ProcessStartInfo("git", ["clone", "--quiet", "--no-hardlinks", RepositoryPaths.Root, root])
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var errors = await git.StandardError.ReadToEndAsync();
        await git.WaitForExitAsync();
        return git.ExitCode == 0 ? new FreshClone(root) : throw new InvalidOperationException($"git clone failed: {errors}");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path.GetDirectoryName(Root)!, recursive: true);
        }
        catch (IOException)
        {
            // A process that was just killed may still hold a file for a moment; the temp folder is the OS's to clean.
        }
    }
}
