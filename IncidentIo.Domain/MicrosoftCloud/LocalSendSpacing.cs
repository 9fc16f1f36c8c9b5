namespace IncidentIo.Domain.MicrosoftCloud;

/// <summary>
/// This process's own sends of one kind of Graph call for one tenant: when the next may go, so
/// that calls are spent against Microsoft's limit when they are sent, not when their slot was
/// taken. The shared schedule (<see cref="TenantGraphPacer"/>) hands out slots ahead of time; a
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
    /// Spends <paramref name="slots"/> intervals from now or from the end of the last send's, whichever
    /// is later. Returns how long to wait before sending (zero: at once).
    /// </summary>
    public TimeSpan Spend(DateTimeOffset now, int slots, double intervalMs)
    {
        lock (gate)
        {
            var at = freeAt > now ? freeAt : now;
            freeAt = at + TimeSpan.FromMilliseconds(intervalMs * Math.Max(1, slots));
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
