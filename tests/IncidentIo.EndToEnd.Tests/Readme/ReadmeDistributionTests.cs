using System.Text.RegularExpressions;
using IncidentIo.EndToEnd.Tests.Journeys;
using IncidentIo.Testing;
using Microsoft.Playwright;

namespace IncidentIo.EndToEnd.Tests.Readme;

/// <summary>
/// The README's three ways the Sandbox's tenants can hold our Teams app — from the Store, uploaded
/// to their own catalog, or both — each run as written (`dotnet run … -- --Sandbox:TeamsAppDistribution=…`)
/// in one fresh clone (built once, its data folder removed between runs): the automatic install
/// reaches "done", and our app added to Engineering gives its 8 people their install states.
/// </summary>
public abstract partial class ReadmeDistributionTests(string distribution) : PortalJourney
{
    private const string OurTeamsAppId = "8d3f2b6e-4c1a-4e57-9b0d-2f6a7c9e1d01";
    private const string Engineering = "c0a7050c-0002-4000-8000-000000000001";

    // One clone for the three runs: the first builds it, the others only start it.
    private static readonly Lazy<Task<FreshClone>> Clone = new(CreateCloneAsync);

    protected override async Task<(ProductProcess Process, string Url, string SandboxOrigin)> StartPortalAsync()
    {
        var clone = await Clone.Value;
        var command = ReadmeCommands.All.Select(c => c.Command).Single(c => c.EndsWith($"--Sandbox:TeamsAppDistribution={distribution}", StringComparison.Ordinal));
        var data = Path.Combine(clone.Root, "IncidentIo.Portal", "data");
        if (Directory.Exists(data))
        {
            Directory.Delete(data, recursive: true);
        }

        var portal = ProductProcess.StartCommand(command, clone.Root);
        await portal.WaitForOutputAsync("IncidentIo portal is ready at ", TimeSpan.FromMinutes(10));
        var ready = ReadyLine().Match(portal.Output);
        return (portal, ready.Groups["portal"].Value, ready.Groups["sandbox"].Value);
    }

    [Fact]
    public async Task The_automatic_install_finishes_and_a_teams_people_get_their_install_states()
    {
        var admin = await CompleteAutomaticSetupAsync();

        // In Teams: Engineering → Manage team → Apps → IncidentIo → Add (whichever catalog entry the tenant has).
        var added = await admin.APIRequest.PostAsync($"{SandboxOrigin}/sandbox/api/tenants/contoso.example/teams/{Engineering}/installed-apps",
            new() { DataObject = new { externalId = OurTeamsAppId } });
        Assert.Equal(200, added.Status);

        await admin.GotoAsync($"{Url}/support/users");
        await Browser.WaitForCircuitAsync(admin);
        await Assertions.Expect(admin.GetByTestId("user-link")).ToHaveCountAsync(8, new() { Timeout = 60_000 });
        await Assertions.Expect(admin.GetByTestId("count-Installed")).ToHaveAttributeAsync("data-count", "7", new() { Timeout = 60_000 });
        await Assertions.Expect(admin.GetByTestId("count-BlockedByPolicy")).ToHaveAttributeAsync("data-count", "1", new() { Timeout = 60_000 });
        await Browser.ScreenshotAsync(admin, $"readme-distribution-{distribution}");
    }

    private static async Task<FreshClone> CreateCloneAsync()
    {
        var clone = await FreshClone.CreateAsync();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => clone.Dispose();
        return clone;
    }

    [GeneratedRegex(@"IncidentIo portal is ready at (?<portal>https://\S+) .*simulated at (?<sandbox>https://[^/\s]+)/sandbox")]
    private static partial Regex ReadyLine();
}

[Collection(ReadmeCommandsRunOneAtATime.Name)]
public sealed class ReadmeStoreDistributionTests() : ReadmeDistributionTests("store");

[Collection(ReadmeCommandsRunOneAtATime.Name)]
public sealed class ReadmeOrganizationDistributionTests() : ReadmeDistributionTests("organization");

[Collection(ReadmeCommandsRunOneAtATime.Name)]
public sealed class ReadmeBothDistributionTests() : ReadmeDistributionTests("both");
