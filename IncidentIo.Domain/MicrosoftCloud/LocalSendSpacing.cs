namespace IncidentIo.Domain.MicrosoftCloud;

/// <summary>
/// This process's own sends of one kind of Graph call for one tenant: when the next may go, so
/// that a <c>$batch</c>'s slots are spent against Microsoft's limit when it is sent, not when they
/// were taken. The shared schedule (<see cref="TenantGraphPacer"/>) hands out slots ahead of time; a
/// caller that wakes late (a busy machine, a GC pause) would otherwise send together with the
/// next one, and two 20-step <c>$batch</c>es at once overrun a limit of 30 per second that one
/// at a time never does. Also holds back every send of this process until a 429's <c>Retry-After</c> has passed.
/// </summary>
internal sealed class LocalSendSpacing
{
    private readonly Lock gate = new();
    private DateTimeOffset freeAt = DateTimeOffset.MinValue;
    private long heldBack;

    /// <summary>Sends this process held back because the previous one went late or a 429 said to wait.</summary>
    public long HeldBack => Interlocked.Read(ref heldBack);

    /// <summary>
    /// When a call may be sent: not before the window of the last <c>$batch</c> sent (its slots
    /// counted from when it went) nor before a 429's <c>Retry-After</c>. A <c>$batch</c> opens a
    /// window of <paramref name="slots"/> intervals; a single call opens none, since two of them
    /// going together are two requests, well inside a limit's second. Returns how long to wait (zero: at once).
    /// </summary>
    public TimeSpan Spend(DateTimeOffset now, int slots, double intervalMs)
    {
        lock (gate)
        {
            var at = freeAt > now ? freeAt : now;
            if (slots > 1)
            {
                freeAt = at + TimeSpan.FromMilliseconds(intervalMs * slots);
            }

            if (at > now)
            {
                heldBack++;
            }

            return at - now;
        }
    }

    /// <summary>Nothing of this kind leaves this process before <paramref name="resume"/> (a 429's <c>Retry-After</c>).</summary>
    public void HoldUntil(DateTimeOffset resume)
    {
        lock (gate)
        {
            if (freeAt < resume)
            {
                freeAt = resume;
            }
        }
    }
}
