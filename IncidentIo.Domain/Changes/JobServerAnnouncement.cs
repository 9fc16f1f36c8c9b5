using Hangfire;
using IncidentIo.Domain.Jobs;
using Microsoft.Extensions.Hosting;

namespace IncidentIo.Domain.Changes;

/// <summary>
/// Tells <c>/system</c> pages (the process-wide topic) that this process's job server came or went.
/// Hangfire registers its server in the background after the start, so the start is announced once the
/// server is listed (looked up a few times a second for at most half a minute, at start-up only).
/// </summary>
public sealed class JobServerAnnouncement(JobStorage storage, JobServerIdentity identity, IChangePublisher publisher, TimeProvider clock) : IHostedService, IDisposable
{
    private static readonly TimeSpan LookEvery = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource stopping = new();
    private Task announcing = Task.CompletedTask;
    private bool disposed;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        announcing = AnnounceWhenListedAsync(stopping.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // A host may stop its services after disposing them (a test host torn down in that order):
        // then there is nobody left to tell.
        if (Volatile.Read(ref disposed))
        {
            return;
        }

        await stopping.CancelAsync();
        await announcing;
        await publisher.PublishAsync([DataChange.Everywhere(ChangeTopic.System)], cancellationToken);
    }

    public void Dispose()
    {
        Volatile.Write(ref disposed, true);
        stopping.Cancel();
        stopping.Dispose();
    }

    private async Task AnnounceWhenListedAsync(CancellationToken cancellationToken)
    {
        var giveUpAt = clock.GetUtcNow() + GiveUpAfter;
        try
        {
            while (clock.GetUtcNow() < giveUpAt)
            {
                await Task.Delay(LookEvery, clock, cancellationToken);
                if (storage.GetMonitoringApi().Servers().Any(s => s.Name.StartsWith(identity.Name, StringComparison.Ordinal)))
                {
                    break;
                }
            }

            await publisher.PublishAsync([DataChange.Everywhere(ChangeTopic.System)], cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped before the server was listed.
        }
    }
}
