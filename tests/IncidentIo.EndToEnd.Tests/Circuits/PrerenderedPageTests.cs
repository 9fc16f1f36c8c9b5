using System.Text.Json.Nodes;

namespace IncidentIo.EndToEnd.Tests.Circuits;

public sealed class PrerenderedPageTests
{
    private const string Page = """
        <html><head><!--Blazor:{"type":"server","prerenderId":"a1","key":{"locationHash":"h1","formattedComponentKey":""},"sequence":0,"descriptor":"D0"}--><title>x</title><!--Blazor:{"prerenderId":"a1"}--></head>
        <body><!--Blazor:{"type":"server","prerenderId":"b2","key":{"locationHash":"h2","formattedComponentKey":""},"sequence":1,"descriptor":"D1"}-->
        <div>page</div><!--Blazor:{"prerenderId":"b2"}-->
        <!--Blazor-Server-Component-State:c3RhdGU=-->
        </body></html>
        """;

    [Fact]
    public void The_server_components_are_read_in_document_order_with_the_page_state()
    {
        var page = PrerenderedPage.Parse(Page);

        Assert.Equal("D0,D1", string.Join(',', page.ServerComponents.Select(c => c["descriptor"]!.GetValue<string>())));
        Assert.Equal("c3RhdGU=", page.ServerState);
    }

    [Fact]
    public void The_first_update_adds_each_marker_numbered_from_one()
    {
        var operations = JsonNode.Parse(PrerenderedPage.Parse(Page).AddOperations())!;

        Assert.Equal(1, operations["batchId"]!.GetValue<int>());
        var added = operations["operations"]!.AsArray();
        Assert.Equal("1,2", string.Join(',', added.Select(o => o!["ssrComponentId"]!.GetValue<int>())));
        Assert.All(added, o => Assert.Equal("add", o!["type"]!.GetValue<string>()));
        Assert.Equal("h2", added[1]!["marker"]!["key"]!["locationHash"]!.GetValue<string>());
    }

    [Fact]
    public void A_page_without_persisted_state_gives_an_empty_state()
    {
        Assert.Equal("", PrerenderedPage.Parse("<html><!--Blazor:{\"prerenderId\":\"x\"}--></html>").ServerState);
        Assert.Empty(PrerenderedPage.Parse("<html></html>").ServerComponents);
    }
}
