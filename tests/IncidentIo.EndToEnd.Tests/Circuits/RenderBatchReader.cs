using System.Buffers.Binary;
using System.Text;

namespace IncidentIo.EndToEnd.Tests.Circuits;

/// <summary>The kinds of frame in a render batch: Blazor's RenderTreeFrameType, by number.</summary>
public enum RenderFrameKind
{
    None = 0,
    Element = 1,
    Text = 2,
    Attribute = 3,
    Component = 4,
    Region = 5,
    ElementReferenceCapture = 6,
    ComponentReferenceCapture = 7,
    Markup = 8,
    ComponentRenderMode = 9,
    NamedEvent = 10,
}

/// <summary>
/// One reference frame as the batch carries it. Element: name and subtree length; attribute: name,
/// value (null for a value that is not a string, "" for true) and event handler id; text and markup:
/// their content in <see cref="Value"/>; component: its id and subtree length.
/// </summary>
public readonly record struct RenderFrame(RenderFrameKind Kind, int SubtreeLength, string? Name, string? Value, long EventHandlerId, int ComponentId);

/// <summary>One edit of a component's diff: Blazor's RenderTreeEditType by number, and the reference frame it uses.</summary>
public readonly record struct RenderEdit(int Type, int SiblingIndex, int ReferenceFrameIndex)
{
    /// <summary>RenderTreeEditType.PrependFrame: the frame (and its subtree) is added to the page.</summary>
    public const int PrependFrame = 1;
}

public sealed record ComponentDiff(int ComponentId, IReadOnlyList<RenderEdit> Edits);

/// <summary>An element a batch adds to the page, with its attributes, in the tree of component <paramref name="ComponentId"/>.</summary>
public sealed record AddedElement(int ComponentId, string Name, IReadOnlyDictionary<string, RenderFrame> Attributes)
{
    /// <summary>The attribute's string value; null when absent or not a string.</summary>
    public string? this[string attribute] => Attributes.TryGetValue(attribute, out var frame) ? frame.Value : null;

    public long EventHandlerId(string attribute) => Attributes.TryGetValue(attribute, out var frame) ? frame.EventHandlerId : 0;
}

/// <summary>A render batch as the browser receives it, read back into diffs, frames and strings.</summary>
public sealed class ReceivedRenderBatch(
    IReadOnlyList<ComponentDiff> diffs,
    IReadOnlyList<RenderFrame> referenceFrames,
    IReadOnlyList<int> disposedComponentIds,
    IReadOnlyList<long> disposedEventHandlerIds,
    IReadOnlyList<string> strings)
{
    public IReadOnlyList<ComponentDiff> Diffs => diffs;

    public IReadOnlyList<RenderFrame> ReferenceFrames => referenceFrames;

    public IReadOnlyList<int> DisposedComponentIds => disposedComponentIds;

    public IReadOnlyList<long> DisposedEventHandlerIds => disposedEventHandlerIds;

    /// <summary>The batch's string table. Non-empty attribute values and texts are not deduplicated: one entry per use.</summary>
    public IReadOnlyList<string> Strings => strings;

    public int CountOf(string value) => strings.Count(s => s == value);

    /// <summary>
    /// The elements named <paramref name="name"/> that this batch adds (inside a prepended frame's
    /// subtree), each with the id of the component whose diff added it: the component blazor.web.js
    /// names in an event's field information.
    /// </summary>
    public IEnumerable<AddedElement> AddedElements(string name)
    {
        foreach (var diff in diffs)
        {
            foreach (var edit in diff.Edits.Where(e => e.Type == RenderEdit.PrependFrame))
            {
                var first = edit.ReferenceFrameIndex;
                var end = first + Math.Max(1, referenceFrames[first].SubtreeLength);
                for (var i = first; i < end; i++)
                {
                    if (referenceFrames[i] is { Kind: RenderFrameKind.Element } element && element.Name == name)
                    {
                        yield return new AddedElement(diff.ComponentId, name, AttributesAfter(i));
                    }
                }
            }
        }
    }

    /// <summary>
    /// The markup this batch adds: static blocks (an element with no dynamic part, and all inside it)
    /// reach the browser as one markup string rather than as element frames.
    /// </summary>
    public IEnumerable<string> AddedMarkup() =>
        Added().Where(i => referenceFrames[i].Kind == RenderFrameKind.Markup).Select(i => referenceFrames[i].Value ?? "");

    /// <summary>The indexes of the reference frames this batch adds: each prepended frame and its subtree.</summary>
    private IEnumerable<int> Added() =>
        diffs.SelectMany(d => d.Edits).Where(e => e.Type == RenderEdit.PrependFrame)
            .SelectMany(e => Enumerable.Range(e.ReferenceFrameIndex, Math.Max(1, referenceFrames[e.ReferenceFrameIndex].SubtreeLength)));

    /// <summary>An element's attribute frames come straight after it.</summary>
    private Dictionary<string, RenderFrame> AttributesAfter(int element)
    {
        var attributes = new Dictionary<string, RenderFrame>(StringComparer.Ordinal);
        for (var i = element + 1; i < referenceFrames.Count && referenceFrames[i].Kind == RenderFrameKind.Attribute; i++)
        {
            attributes[referenceFrames[i].Name ?? ""] = referenceFrames[i];
        }

        return attributes;
    }
}

/// <summary>
/// Reads the binary render batch Blazor Server sends in <c>JS.RenderBatch</c> (ASP.NET Core's
/// RenderBatchWriter; blazor.web.js reads it with OutOfProcessRenderBatch): the diffs of updated
/// components, the reference frames (20 bytes each), disposed component and event handler ids and
/// the string table, located by five offsets in the batch's last 20 bytes. Little-endian throughout;
/// strings are UTF-8 with a 7-bit encoded length, as .NET's BinaryWriter writes them.
/// </summary>
public static class RenderBatchReader
{
    private const int FrameSize = 20;
    private const int EditSize = 16;

    public static ReceivedRenderBatch Read(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Length < 20)
        {
            throw new InvalidDataException($"A render batch has at least its 20 bytes of offsets, not {data.Length} bytes.");
        }

        var end = data.Length;
        var updatedComponents = Int(data, end - 20);
        var referenceFrames = Int(data, end - 16);
        var disposedComponents = Int(data, end - 12);
        var disposedHandlers = Int(data, end - 8);
        var stringTable = Int(data, end - 4);

        var strings = ReadStrings(data, stringTable, (end - 20 - stringTable) / 4);
        return new ReceivedRenderBatch(
            ReadDiffs(data, updatedComponents),
            ReadFrames(data, referenceFrames, strings),
            [.. Enumerable.Range(0, Int(data, disposedComponents)).Select(i => Int(data, disposedComponents + 4 + (4 * i)))],
            [.. Enumerable.Range(0, Int(data, disposedHandlers)).Select(i => Long(data, disposedHandlers + 4 + (8 * i)))],
            strings);
    }

    private static ComponentDiff[] ReadDiffs(byte[] data, int table)
    {
        var diffs = new ComponentDiff[Int(data, table)];
        for (var i = 0; i < diffs.Length; i++)
        {
            var at = Int(data, table + 4 + (4 * i));
            var edits = new RenderEdit[Int(data, at + 4)];
            for (var j = 0; j < edits.Length; j++)
            {
                var edit = at + 8 + (EditSize * j);
                // The fourth int, a removed attribute's name, is not needed here.
                edits[j] = new RenderEdit(Int(data, edit), Int(data, edit + 4), Int(data, edit + 8));
            }

            diffs[i] = new ComponentDiff(Int(data, at), edits);
        }

        return diffs;
    }

    private static RenderFrame[] ReadFrames(byte[] data, int at, string[] strings)
    {
        var frames = new RenderFrame[Int(data, at)];
        for (var i = 0; i < frames.Length; i++)
        {
            var frame = at + 4 + (FrameSize * i);
            var kind = (RenderFrameKind)Int(data, frame);
            string? StringAt(int offset) => Int(data, frame + offset) is var index and >= 0 ? strings[index] : null;
            frames[i] = kind switch
            {
                RenderFrameKind.Attribute => new RenderFrame(kind, 1, StringAt(4), StringAt(8), Long(data, frame + 12), 0),
                RenderFrameKind.Element => new RenderFrame(kind, Int(data, frame + 4), StringAt(8), null, 0, 0),
                RenderFrameKind.Component => new RenderFrame(kind, Int(data, frame + 4), null, null, 0, Int(data, frame + 8)),
                RenderFrameKind.Region => new RenderFrame(kind, Int(data, frame + 4), null, null, 0, 0),
                RenderFrameKind.Text or RenderFrameKind.Markup or RenderFrameKind.ElementReferenceCapture => new RenderFrame(kind, 1, null, StringAt(4), 0, 0),
                _ => new RenderFrame(kind, 1, null, null, 0, 0),
            };
        }

        return frames;
    }

    private static string[] ReadStrings(byte[] data, int table, int count)
    {
        var strings = new string[count];
        for (var i = 0; i < count; i++)
        {
            var at = Int(data, table + (4 * i));
            var length = 0;
            var shift = 0;
            byte part;
            do
            {
                part = data[at++];
                length |= (part & 0x7F) << shift;
                shift += 7;
            }
            while ((part & 0x80) != 0);

            strings[i] = Encoding.UTF8.GetString(data, at, length);
        }

        return strings;
    }

    private static int Int(byte[] data, int at) => BinaryPrimitives.ReadInt32LittleEndian(data.AsSpan(at, 4));

    private static long Long(byte[] data, int at) => BinaryPrimitives.ReadInt64LittleEndian(data.AsSpan(at, 8));
}
