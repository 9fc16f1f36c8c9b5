using System.Collections.Concurrent;
using System.Security.Claims;
using IncidentIo.Domain.Changes;
using IncidentIo.Domain.Reachability;
using IncidentIo.Portal.Support;
using IncidentIo.Portal.Tests.Changes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace IncidentIo.Portal.Tests.Support;

/// <summary>
/// Open console pages woken by one change share the organisation's counts, and sharing never
/// lets a page see what its own asker may not: each page's access is checked on its own.
/// </summary>
public sealed class SharedConsoleReadsTests(SupportWorld world) : IClassFixture<SupportWorld>
{
    [Fact]
    public async Task Pages_woken_together_share_the_counts_and_an_outsiders_page_still_gets_nothing()
    {
        var shared = world.Host.Services.GetRequiredService<SharedReads>();
        var feed = new ChangeFeed();
        // A long coalescing window: every page is awake before the first one reads.
        using var watcher = new ChangeWatcher(feed, Options.Create(new ChangeOptions { CoalesceWindow = TimeSpan.FromSeconds(1) }), TimeProvider.System, NullLogger<ChangeWatcher>.Instance);
        ClaimsPrincipal[] askers = [world.ContosoAdmin, world.ContosoAdmin, world.ContosoAdmin, world.FabrikamAdmin, world.ContosoViewer];
        var answers = new ConcurrentDictionary<int, object>();
        using var stop = new CancellationTokenSource();
        var subscriptions = askers.Select(_ => watcher.Subscribe(world.Contoso, ChangeTopic.Installs)).ToList();
        var pages = askers.Select((who, i) => watcher.WatchAsync(subscriptions[i], "test page", async ct =>
        {
            try
            {
                answers[i] = await world.Console.CountsAsync(who, world.Contoso, ct);
            }
            catch (SupportAccessDeniedException denied)
            {
                answers[i] = denied;
            }
        }, stop.Token)).ToList();
        var startedBefore = shared.Started;
        var joinedBefore = shared.Joined;

        feed.Deliver(DataChange.Of(ChangeTopic.Installs, world.Contoso));
        await Eventually.TrueAsync(() => answers.Count == askers.Length, "every page read again");
        await stop.CancelAsync();
        await Task.WhenAll(pages);
        subscriptions.ForEach(s => s.Dispose());

        var counts = Enumerable.Range(0, 3).Select(i => Assert.IsType<ReachabilityCounts>(answers[i])).ToList();
        Assert.All(counts, c => Assert.Same(counts[0], c));
        Assert.IsType<SupportAccessDeniedException>(answers[3]);
        Assert.IsType<SupportAccessDeniedException>(answers[4]);
        // One counts read, one access read per distinct customer asker (three): four in all.
        Assert.Equal(4, shared.Started - startedBefore);
        Assert.Equal(4, shared.Joined - joinedBefore);
    }
}
