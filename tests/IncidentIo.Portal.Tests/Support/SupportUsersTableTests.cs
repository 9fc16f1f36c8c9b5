using Bunit;
using IncidentIo.Domain.Reachability;
using IncidentIo.Portal.Support;

namespace IncidentIo.Portal.Tests.Support;

/// <summary>
/// The support list's own table (plain markup, not a MudTable): its keyset pager walks an
/// organisation's people page by page in both directions and to the last page, the page size and
/// the order change what it reads, and the filters start it over at the first page.
/// </summary>
public sealed class SupportUsersTableTests(SupportWorld world) : ValidatedBunitContext, IClassFixture<SupportWorld>, IAsyncLifetime
{
    private static readonly TimeSpan Live = TimeSpan.FromSeconds(10);

    public Task InitializeAsync() => Task.CompletedTask;

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    [Fact]
    public async Task The_pager_walks_thirty_people_in_pages_of_25_forwards_to_the_end_and_back()
    {
        var (admin, organization) = await OrganizationOfAsync(29);
        world.AddTo(this, admin);
        var table = Render<SupportUsersTable>(p => p.Add(t => t.OrganizationId, organization).Add(t => t.Who, admin).Add(t => t.Filters, new ReachabilityQuery()));
        table.WaitForAssertion(() => Assert.Equal(30, Names(table).Count), Live);
        Assert.Equal("1-30 of 30", table.Find("[data-testid=page-range]").TextContent);

        table.Find("[data-testid=page-size]").Change("25");
        table.WaitForAssertion(() => Assert.Equal(25, Names(table).Count), Live);
        var first = Names(table);
        Assert.Equal("1-25 of 30", table.Find("[data-testid=page-range]").TextContent);

        table.Find("button[aria-label='Next page']").Click();
        table.WaitForAssertion(() => Assert.Equal("26-30 of 30", table.Find("[data-testid=page-range]").TextContent), Live);
        var second = Names(table);
        Assert.Equal(5, second.Count);
        Assert.Empty(first.Intersect(second));
        Assert.True(table.Find("button[aria-label='Last page']").HasAttribute("disabled"));

        table.Find("button[aria-label='Previous page']").Click();
        table.WaitForAssertion(() => Assert.Equal(first, Names(table)), Live);

        table.Find("button[aria-label='Last page']").Click();
        table.WaitForAssertion(() => Assert.Equal(second, Names(table)), Live);
    }

    [Fact]
    public async Task Sorting_by_name_again_reverses_the_order_and_a_filter_starts_over_at_the_first_page()
    {
        var (admin, organization) = await OrganizationOfAsync(29);
        world.AddTo(this, admin);
        var table = Render<SupportUsersTable>(p => p.Add(t => t.OrganizationId, organization).Add(t => t.Who, admin).Add(t => t.Filters, new ReachabilityQuery()));
        table.WaitForAssertion(() => Assert.Equal(30, Names(table).Count), Live);
        var ascending = Names(table);
        Assert.Equal(ascending.Order(StringComparer.Ordinal), ascending);
        Assert.Equal("ascending", table.Find("th[aria-sort]").GetAttribute("aria-sort"));

        table.Find("[data-testid=sort-Name]").Click();
        table.WaitForAssertion(() => Assert.Equal(ascending.AsEnumerable().Reverse(), Names(table)), Live);
        Assert.Equal("descending", table.Find("th[aria-sort]").GetAttribute("aria-sort"));

        table.Find("[data-testid=page-size]").Change("25");
        table.Find("button[aria-label='Next page']").Click();
        table.WaitForAssertion(() => Assert.Equal("26-30 of 30", table.Find("[data-testid=page-range]").TextContent), Live);
        table.Render(p => p.Add(t => t.Filters, new ReachabilityQuery { Search = "person 1" }));
        table.WaitForAssertion(() => Assert.Equal("1-10 of 10", table.Find("[data-testid=page-range]").TextContent), Live);
    }

    private async Task<(System.Security.Claims.ClaimsPrincipal Admin, Guid Organization)> OrganizationOfAsync(int others)
    {
        var admin = SupportWorld.MicrosoftAdmin(Guid.NewGuid(), "Pat Pager", $"admin-{Guid.NewGuid():N}@pages.example");
        var organization = (await world.Access.OpenAsync(admin)).OrganizationId!.Value;
        for (var i = 0; i < others; i++)
        {
            await world.AddPersonAsync(organization, $"Person {i:00}", $"person{i:00}@pages.example", InstallationState.NotInstalled, null);
        }

        return (admin, organization);
    }

    private static List<string> Names(IRenderedComponent<SupportUsersTable> table) =>
        table.FindAll("[data-testid=user-link]").Select(l => l.TextContent).ToList();
}
