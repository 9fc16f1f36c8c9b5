using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace IncidentIo.Portal.Shell;

/// <summary>
/// The side menu as one piece of markup styled as MudBlazor's nav links, made once for each link
/// that can be the current one. The menu is in every circuit: as components (eight MudNavLinks,
/// four components each) or even as one component drawing each element, it kept its render trees
/// in every open tab; as markup it is one frame pointing at a string all circuits share. Blazor
/// follows clicks on these links like on any other.
/// </summary>
public static class NavMenu
{
    private sealed record Link(string Href, string Icon, string Text);

    private static readonly Link[] Links =
    [
        new("/", Icons.Material.Filled.Home, "Home"),
        new("/setup", Icons.Material.Filled.Checklist, "Setup"),
        new("/incidents", Icons.Material.Filled.LocalFireDepartment, "Incidents"),
        new("/settings/announcements", Icons.Material.Filled.Campaign, "Announcements"),
        new("/settings/plan", Icons.Material.Filled.WorkspacePremium, "Plan"),
        new("/settings/people", Icons.Material.Filled.ManageAccounts, "People and roles"),
        new("/support", Icons.Material.Filled.SupportAgent, "Support"),
        new("/system", Icons.Material.Filled.MonitorHeart, "System status"),
    ];

    // Index i marks link i as the current page; the last entry marks none.
    private static readonly MarkupString[] Menus = Enumerable.Range(0, Links.Length + 1).Select(Render).ToArray();

    /// <summary>The menu with the link of the page at <paramref name="uri"/> marked current.</summary>
    public static MarkupString For(NavigationManager navigation, string uri)
    {
        var path = "/" + navigation.ToBaseRelativePath(uri).Split('?', '#')[0];
        var current = Array.FindIndex(Links, link => IsCurrent(link, path));
        return Menus[current < 0 ? Links.Length : current];
    }

    /// <summary>Home only on its own; every other link also for the pages under it (as NavLink's prefix match).</summary>
    private static bool IsCurrent(Link link, string path) => link.Href == "/"
        ? path == "/"
        : path.Equals(link.Href, StringComparison.OrdinalIgnoreCase) || path.StartsWith(link.Href + "/", StringComparison.OrdinalIgnoreCase);

    private static MarkupString Render(int current)
    {
        var html = new StringBuilder("<nav class=\"mud-navmenu mud-navmenu-default mud-navmenu-margin-none\">");
        for (var i = 0; i < Links.Length; i++)
        {
            var link = Links[i];
            html.Append("<div class=\"mud-nav-item\"><a href=\"").Append(HtmlEncoder.Default.Encode(link.Href)).Append("\" tabindex=\"0\" class=\"")
                .Append(i == current ? "mud-nav-link mud-ripple active\" aria-current=\"page\">" : "mud-nav-link mud-ripple\">")
                .Append("<svg class=\"mud-icon-root mud-icon-default mud-svg-icon mud-icon-size-medium mud-nav-link-icon mud-nav-link-icon-default\" focusable=\"false\" viewBox=\"0 0 24 24\" aria-hidden=\"true\" role=\"img\">")
                .Append(link.Icon)
                .Append("</svg><div class=\"mud-nav-link-text\">").Append(HtmlEncoder.Default.Encode(link.Text)).Append("</div></a></div>");
        }

        return new MarkupString(html.Append("</nav>").ToString());
    }
}
