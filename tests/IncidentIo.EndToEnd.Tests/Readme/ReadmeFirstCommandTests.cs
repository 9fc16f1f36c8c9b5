using System.Text.RegularExpressions;
using IncidentIo.EndToEnd.Tests.Journeys;
using IncidentIo.Testing;
using Microsoft.Playwright;

namespace IncidentIo.EndToEnd.Tests.Readme;

/// <summary>
/// The README's first command exactly as written, in a fresh clone, as a newcomer types it: its
/// launch profile (Development), its ports, no settings from us. The Portal must build, start,
/// say where to click, and let the Global Administrator sign in and reach setup.
/// </summary>
[Collection(ReadmeCommandsRunOneAtATime.Name)]
public sealed partial class ReadmeFirstCommandTests : PortalJourney
{
    private FreshClone clone = null!;

    protected override async Task<(ProductProcess Process, string Url, string SandboxOrigin)> StartPortalAsync()
    {
        clone = await FreshClone.CreateAsync();
        var command = ReadmeCommands.All[0].Command;
        Assert.Equal("dotnet run --project IncidentIo.Portal", command);
        var portal = ProductProcess.StartCommand(command, clone.Root);
        // A fresh clone restores and builds first (and installs the tab's script from npm).
        await portal.WaitForOutputAsync("IncidentIo portal is ready at ", TimeSpan.FromMinutes(10));
        var ready = ReadyLine().Match(portal.Output);
        return (portal, ready.Groups["portal"].Value, ready.Groups["sandbox"].Value);
    }

    [Fact]
    public async Task The_first_command_starts_the_product_a_newcomer_can_sign_in_to_and_set_up()
    {
        Assert.Equal("https://localhost:7080", Url);
        Assert.Equal("https://localhost:7443", SandboxOrigin);
        Assert.Contains("Hosting environment: Development", PortalOutput, StringComparison.Ordinal);
        Assert.Contains("sign in as admin@contoso.example (Global Administrator", PortalOutput, StringComparison.Ordinal);

        var page = await SignInAsync("admin@contoso.example", "/setup");
        await Assertions.Expect(page.GetByLabel("Organisation name")).ToBeVisibleAsync();
        await Browser.ScreenshotAsync(page, "readme-first-command-setup");

        // A readable console: no line per HTTP request the product's clients make.
        Assert.DoesNotContain("System.Net.Http.HttpClient", PortalOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(" fail: ", PortalOutput, StringComparison.Ordinal);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        clone.Dispose();
    }

    [GeneratedRegex(@"IncidentIo portal is ready at (?<portal>https://\S+) .*simulated at (?<sandbox>https://[^/\s]+)/sandbox")]
    private static partial Regex ReadyLine();
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ReadmeCommandsRunOneAtATime
{
    /// <summary>
    /// The README's own commands use its fixed ports and build whole clones: one at a time, and not
    /// beside the other journeys, whose timings a build on both cores would disturb.
    /// </summary>
    public const string Name = "README commands";
}
