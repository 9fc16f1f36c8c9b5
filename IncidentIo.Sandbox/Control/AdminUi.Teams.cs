using System.Globalization;
using System.Text;
using IncidentIo.Sandbox.Hosting;
using IncidentIo.Sandbox.State;

namespace IncidentIo.Sandbox.Control;

/// <summary>A tenant's teams on its admin page: channels, tabs, installed apps and members.</summary>
public static partial class AdminUi
{
    private const int TeamsShown = 200;

    static partial void AppendTenantSections(StringBuilder html, SandboxRuntime runtime, Tenant tenant)
    {
        var teams = runtime.State.Teams.Teams(tenant.Id);
        var apps = runtime.State.Teams.CatalogApps(tenant.Id).ToDictionary(a => a.Id);
        html.Append(CultureInfo.InvariantCulture, $"<h2 id=\"teams\">Teams ({teams.Count})</h2>");
        if (teams.Count == 0)
        {
            html.Append("<p>No teams.</p>");
            return;
        }

        html.Append("<table><tr><th>Team</th><th>Members</th><th>Apps installed</th><th>General channel tabs</th></tr>");
        foreach (var team in teams.Take(TeamsShown))
        {
            var members = runtime.State.Teams.Members(team.Id);
            var installed = runtime.State.Teams.Installations(InstallationScope.Team, team.Id)
                .Select(i => apps.TryGetValue(i.TeamsAppId, out var app) ? app.DisplayName : i.TeamsAppId.ToString());
            var general = runtime.State.Teams.Channels(team.Id).FirstOrDefault(c => c.IsPrimary);
            var tabs = general is null ? [] : runtime.State.Teams.Tabs(team.Id, general.Id).Select(t => t.DisplayName);
            var names = members.Take(8).Select(m => runtime.State.FindUser(tenant.Id, m.UserId.ToString())?.DisplayName ?? m.UserId.ToString());
            html.Append(CultureInfo.InvariantCulture,
                $"<tr data-team=\"{team.Id}\"><td><b>{E(team.DisplayName)}</b><br><code>{team.Id}</code></td>"
                + $"<td>{members.Count}: {E(string.Join(", ", names))}{(members.Count > 8 ? " …" : "")}</td>"
                + $"<td>{E(string.Join(", ", installed))}</td><td>{E(string.Join(", ", tabs))}</td></tr>");
        }

        html.Append("</table>");
        if (teams.Count > TeamsShown)
        {
            html.Append(CultureInfo.InvariantCulture, $"<p>First {TeamsShown} of {teams.Count} teams shown.</p>");
        }

        html.Append(CultureInfo.InvariantCulture, $"<p><a href=\"{Root}/bot?tenant={tenant.Id}\">Messages our bot sent in this tenant</a></p>");
    }
}
