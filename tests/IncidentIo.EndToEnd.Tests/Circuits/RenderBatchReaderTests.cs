using System.Text;

namespace IncidentIo.EndToEnd.Tests.Circuits;

/// <summary>
/// The render batch reader on batches laid out as ASP.NET Core's RenderBatchWriter lays them out
/// (the benchmark checks it on the Portal's own batches too: it finds the filter and the rows there).
/// </summary>
public sealed class RenderBatchReaderTests
{
    [Fact]
    public void An_added_select_is_found_with_its_change_handler_and_the_component_that_drew_it()
    {
        var batch = new BatchWriter();
        // Component 7 prepends a label holding a select with three attributes and a text.
        batch.Diff(7, (RenderEdit.PrependFrame, 0));
        batch.Element("label", 6);
        batch.Element("select", 5);
        batch.Attribute("value", "", 0);
        batch.Attribute("onchange", null, 42);
        batch.Attribute("data-testid", "filter-state", 0);
        batch.Text("Zoë's state, a name longer than one hundred and twenty-seven bytes so its length takes two bytes ............");
        batch.DisposedEventHandlers(41);

        var read = RenderBatchReader.Read(batch.ToArray());

        var select = Assert.Single(read.AddedElements("select"));
        Assert.Equal(7, select.ComponentId);
        Assert.Equal("filter-state", select["data-testid"]);
        Assert.Equal(42, select.EventHandlerId("onchange"));
        Assert.Null(select["onchange"]);
        Assert.Equal(41, Assert.Single(read.DisposedEventHandlerIds));
        Assert.Equal(RenderFrameKind.Text, read.ReferenceFrames[5].Kind);
        Assert.StartsWith("Zoë's state", read.ReferenceFrames[5].Value, StringComparison.Ordinal);
        Assert.Equal(1, read.CountOf("filter-state"));
    }

    [Fact]
    public void Elements_only_referenced_by_other_edits_are_not_added()
    {
        var batch = new BatchWriter();
        // An attribute set on an element already on the page (SetAttribute, edit type 3), and a removed frame.
        batch.Diff(3, (3, 1), (2, 0));
        batch.Element("select", 2);
        batch.Attribute("onchange", null, 9);

        var read = RenderBatchReader.Read(batch.ToArray());

        Assert.Empty(read.AddedElements("select"));
        Assert.Equal(3, Assert.Single(read.Diffs).ComponentId);
        Assert.Equal(9, read.ReferenceFrames[1].EventHandlerId);
    }

    [Fact]
    public void Static_markup_a_batch_adds_is_read_as_one_string()
    {
        var batch = new BatchWriter();
        batch.Diff(5, (RenderEdit.PrependFrame, 1));
        batch.Text("kept");
        batch.Markup("<tr><td><p data-testid=\"no-users\">Nobody matches.</p></td></tr>");

        var read = RenderBatchReader.Read(batch.ToArray());

        var markup = Assert.Single(read.AddedMarkup());
        Assert.Contains("data-testid=\"no-users\"", markup, StringComparison.Ordinal);
        Assert.Empty(read.AddedElements("p"));
    }

    /// <summary>Writes a batch in RenderBatchWriter's layout: diffs, frames, disposed ids, strings, then their five offsets.</summary>
    private sealed class BatchWriter
    {
        private readonly List<(int Component, (int Type, int Frame)[] Edits)> diffs = [];
        private readonly List<(int Kind, int A, int B, long C)> frames = [];
        private readonly List<string> strings = [];
        private readonly List<long> disposedHandlers = [];

        public void Diff(int component, params (int Type, int Frame)[] edits) => diffs.Add((component, edits));

        public void Element(string name, int subtreeLength) => frames.Add((1, subtreeLength, Index(name), 0));

        public void Attribute(string name, string? value, long handler) => frames.Add((3, Index(name), Index(value), handler));

        public void Text(string text) => frames.Add((2, Index(text), 0, 0));

        public void Markup(string markup) => frames.Add((8, Index(markup), 0, 0));

        public void DisposedEventHandlers(params long[] ids) => disposedHandlers.AddRange(ids);

        public byte[] ToArray()
        {
            using var stream = new MemoryStream();
            using var writer = new BinaryWriter(stream, Encoding.UTF8);
            var diffStarts = new List<int>();
            foreach (var (component, edits) in diffs)
            {
                diffStarts.Add((int)stream.Position);
                writer.Write(component);
                writer.Write(edits.Length);
                foreach (var (type, frame) in edits)
                {
                    writer.Write(type);
                    writer.Write(0);
                    writer.Write(frame);
                    writer.Write(-1);
                }
            }

            var diffTable = (int)stream.Position;
            writer.Write(diffs.Count);
            diffStarts.ForEach(writer.Write);

            var frameTable = (int)stream.Position;
            writer.Write(frames.Count);
            foreach (var (kind, a, b, c) in frames)
            {
                writer.Write(kind);
                writer.Write(a);
                writer.Write(b);
                writer.Write(c);
            }

            var disposedComponents = (int)stream.Position;
            writer.Write(0);
            var disposedHandlerTable = (int)stream.Position;
            writer.Write(disposedHandlers.Count);
            disposedHandlers.ForEach(writer.Write);

            var stringStarts = new List<int>();
            foreach (var value in strings)
            {
                stringStarts.Add((int)stream.Position);
                writer.Write(value);
            }

            var stringTable = (int)stream.Position;
            stringStarts.ForEach(writer.Write);
            foreach (var offset in new[] { diffTable, frameTable, disposedComponents, disposedHandlerTable, stringTable })
            {
                writer.Write(offset);
            }

            writer.Flush();
            return stream.ToArray();
        }

        private int Index(string? value)
        {
            if (value is null)
            {
                return -1;
            }

            strings.Add(value);
            return strings.Count - 1;
        }
    }
}
