using System.Text.RegularExpressions;
using IncidentIo.Testing;

namespace IncidentIo.EndToEnd.Tests.Readme;

/// <summary>
/// The commands the README tells a person to type: every line of its ```bash blocks, with the
/// comment after <c>#</c> removed. Tests run them from these strings, so an edit to the README
/// changes what the tests run.
/// </summary>
public static partial class ReadmeCommands
{
    public static string Path { get; } = System.IO.Path.Combine(RepositoryPaths.Root, "README.md");

    /// <summary>Every command, in order, with the heading of the section it is under.</summary>
    public static IReadOnlyList<(string Section, string Command)> All { get; } = Read();

    /// <summary>The commands of the first ```bash block under the heading <paramref name="section"/>.</summary>
    public static IReadOnlyList<string> In(string section)
    {
        var commands = All.Where(c => c.Section == section).Select(c => c.Command).ToList();
        return commands.Count > 0 ? commands : throw new InvalidOperationException($"The README has no commands under '{section}'.");
    }

    private static List<(string, string)> Read()
    {
        var commands = new List<(string, string)>();
        var section = "";
        var inBash = false;
        foreach (var line in File.ReadAllLines(Path))
        {
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                inBash = !inBash && line.Trim() == "```bash";
                continue;
            }

            if (!inBash && line.StartsWith('#'))
            {
                section = line.TrimStart('#').Trim();
            }
            else if (inBash && Comment().Replace(line, "").Trim() is { Length: > 0 } command)
            {
                commands.Add((section, command));
            }
        }

        return commands;
    }

    [GeneratedRegex(@"(^|\s)#.*$")]
    private static partial Regex Comment();
}
