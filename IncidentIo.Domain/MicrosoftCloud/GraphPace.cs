namespace IncidentIo.Domain.MicrosoftCloud;

/// <summary>
/// The shared schedule of one kind of Graph call for one tenant (e.g. POST installedApps): every
/// worker takes its next slot from this row, so all of them together keep to the rate.
/// </summary>
public sealed class GraphPace
{
    public Guid TenantId { get; set; }

    /// <summary>The kind of call, as Microsoft's limits name them ("post-user-installedapps").</summary>
    public required string Operation { get; set; }

    /// <summary>The next free slot; a worker takes it and moves it on by <see cref="IntervalMs"/>.</summary>
    public DateTimeOffset NextSlotAt { get; set; }

    /// <summary>The current gap between calls: the configured rate's, widened after a 429 and narrowed again after.</summary>
    public double IntervalMs { get; set; }

    public DateTimeOffset? ThrottledAt { get; set; }

    /// <summary>429s seen for this tenant and operation since the row was made.</summary>
    public int ThrottledCount { get; set; }
}
