using System.Globalization;
using System.Net;
using System.Text;
using IncidentIo.Sandbox.Faults;
using IncidentIo.Sandbox.Hosting;
using IncidentIo.Sandbox.State;
using IncidentIo.Sandbox.Throttling;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace IncidentIo.Sandbox.Control;

/// <summary>
/// The Sandbox's admin pages at <c>/sandbox</c>: tenants, users (paged), apps, grants, throttling
/// and fault settings, with forms to change them. Server-rendered, no scripts or external assets.
/// Sections for teams and messages plug in through <c>AppendTenantSections</c> once that state exists.
/// </summary>
public static partial class AdminUi
{
    public const string Root = "/sandbox";
    public const int PageSize = 50;

    public static void MapAdminUi(this IEndpointRouteBuilder app)
    {
        app.MapGet(Root, Home);
        app.MapGet($"{Root}/tenants/{{tenant}}", TenantPage);
        app.MapPost($"{Root}/throttling", SetThrottling);
        app.MapPost($"{Root}/grants/remove", RemoveGrant);
        app.MapPost($"{Root}/tenants/{{tenant}}/faults", SetTenantFaults);
        app.MapGet($"{Root}/tenants/{{tenant}}/users/{{user}}", UserPage);
        app.MapPost($"{Root}/tenants/{{tenant}}/users/{{user}}", SetUser);
        app.MapPost($"{Root}/tenants/{{tenant}}/users/{{user}}/faults", SetUserFaults);
        app.MapPost($"{Root}/tenants/{{tenant}}/generate", Generate);
    }

    private static IResult Home(SandboxRuntime runtime, Throttler throttler)
    {
        var html = new StringBuilder("<h1>IncidentIo Sandbox</h1><p><a href=\"/sandbox/teams\" id=\"teams-view\">Open the Teams client view</a> (what a user sees in Teams)</p>");
        html.Append("<h2>Tenants</h2><table id=\"tenants\"><tr><th>Name</th><th>Id</th><th>Domains</th><th>Users</th></tr>");
        foreach (var t in runtime.State.Tenants())
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td><a href=\"{Root}/tenants/{t.Id}\">{E(t.DisplayName)}</a></td><td><code>{t.Id}</code></td><td>{E(string.Join(", ", t.VerifiedDomains))}</td><td>{runtime.State.UserCount(t.Id):N0}</td></tr>");
        }

        html.Append("</table><h2>Apps</h2><table id=\"apps\"><tr><th>Name</th><th>Client id</th><th>Application permissions</th><th>Delegated scopes</th></tr>");
        foreach (var a in runtime.State.Apps())
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(a.DisplayName)}</td><td><code>{E(a.ClientId)}</code></td><td>{E(string.Join(", ", a.ApplicationPermissions))}</td><td>{E(string.Join(", ", a.DelegatedScopes))}</td></tr>");
        }

        html.Append("</table><h2>Grants</h2><table id=\"grants\"><tr><th>Tenant</th><th>App</th><th>Application roles</th><th>Tenant-wide scopes</th><th>Users with own consent</th><th>Admin consent</th><th></th></tr>");
        foreach (var g in runtime.State.Grants())
        {
            var tenant = runtime.State.FindTenant(g.TenantId.ToString())?.DisplayName ?? g.TenantId.ToString();
            var app = runtime.State.FindApp(g.ClientId)?.DisplayName ?? g.ClientId;
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(tenant)}</td><td>{E(app)} <code>{E(g.ClientId)}</code></td><td>{E(string.Join(", ", g.ApplicationRoles))}</td><td>{E(string.Join(", ", g.TenantDelegatedScopes))}</td><td>{g.UserDelegatedScopes.Count}</td><td>{g.AdminConsentedAt?.ToString("u", CultureInfo.InvariantCulture) ?? "no"}</td><td><form method=\"post\" action=\"{Root}/grants/remove\"><input type=\"hidden\" name=\"tenant\" value=\"{g.TenantId}\"><input type=\"hidden\" name=\"clientId\" value=\"{E(g.ClientId)}\"><button type=\"submit\">Remove app</button></form></td></tr>");
        }

        html.Append("</table><h2>Throttling</h2>");
        html.Append(CultureInfo.InvariantCulture, $"<form method=\"post\" action=\"{Root}/throttling\" id=\"throttling\"><label><input type=\"checkbox\" name=\"enabled\" value=\"on\"{Checked(throttler.Enabled)}> Throttle Graph calls (published limits)</label> <button type=\"submit\">Save</button></form>");
        html.Append("<table id=\"limits\"><tr><th>Operation class</th><th>Method</th><th>Path</th><th>Per second</th><th>429s so far</th></tr>");
        var rejected = throttler.Rejected;
        foreach (var r in throttler.Options.Rules)
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(r.Name)}</td><td>{E(r.Method)}</td><td><code>{E(r.Pattern)}</code></td><td>{r.PerSecond} {(r.Scope == ThrottleScope.App ? "per app" : "per app per tenant")}{(r.AcrossTenantsPerSecond > 0 ? $", {r.AcrossTenantsPerSecond} per app" : "")}</td><td>{rejected.GetValueOrDefault(r.Name)}</td></tr>");
        }

        html.Append(CultureInfo.InvariantCulture, $"<tr><td>per team</td><td>*</td><td><code>/teams/{{teamId}}/**</code></td><td>{throttler.Options.PerTeamPerSecond} per app per team</td><td>{rejected.GetValueOrDefault("per team")}</td></tr>");
        html.Append(CultureInfo.InvariantCulture, $"<tr><td>{Throttler.GlobalClass}</td><td>*</td><td>anything else</td><td>{throttler.Options.GlobalPerAppPerSecond} per app</td><td>{rejected.GetValueOrDefault(Throttler.GlobalClass)}</td></tr></table>");
        return Page("Sandbox", html.ToString());
    }

    /// <summary>Deletes an app's enterprise application in a tenant: its grants go with it.</summary>
    private static async Task<IResult> RemoveGrant(HttpContext http, SandboxRuntime runtime)
    {
        var form = await http.Request.ReadFormAsync();
        return Guid.TryParse(form["tenant"], out var tenant) && runtime.State.RevokeGrant(tenant, form["clientId"].ToString())
            ? Results.Redirect(Root, preserveMethod: false)
            : Results.NotFound();
    }

    private static IResult TenantPage(string tenant, int? page, SandboxRuntime runtime, FaultInjector faults)
    {
        if (runtime.State.FindTenant(tenant) is not { } t)
        {
            return Page("Not found", "<h1>No such tenant</h1>", StatusCodes.Status404NotFound);
        }

        var count = runtime.State.UserCount(t.Id);
        var pages = Math.Max(1, (count + PageSize - 1) / PageSize);
        var current = Math.Clamp(page ?? 1, 1, pages);
        var action = $"{Root}/tenants/{t.Id}";
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"<p><a href=\"{Root}\">All tenants</a></p><h1>{E(t.DisplayName)}</h1><p><code>{t.Id}</code> · {E(string.Join(", ", t.VerifiedDomains))} · {count:N0} users</p>");

        var f = FaultView.Of(faults.ForTenant(t.Id), faults.Now);
        html.Append("<h2>Faults</h2>").Append(FaultForm($"{action}/faults", f, clearable: false));

        html.Append(CultureInfo.InvariantCulture, $"<h2>Users</h2><form method=\"post\" action=\"{action}/generate\" id=\"generate\"><label>Generate <input name=\"users\" type=\"number\" min=\"1\" max=\"1000000\" value=\"1000\"> users</label> <label>with seed <input name=\"seed\" type=\"number\" value=\"42\"></label> <button type=\"submit\">Generate</button></form>");
        html.Append("<table id=\"users\"><tr><th>Name</th><th>UPN</th><th>Object id</th><th>Admin</th><th>Teams flags</th></tr>");
        foreach (var u in runtime.State.UsersPage(t.Id, (current - 1) * PageSize, PageSize))
        {
            var own = faults.ForUser(u.Id) is null ? "" : " <small>(own fault settings)</small>";
            html.Append(CultureInfo.InvariantCulture, $"<tr><td><a href=\"{action}/users/{u.Id}\">{E(u.DisplayName)}</a>{own}</td><td>{E(u.UserPrincipalName)}</td><td><code>{u.Id}</code></td><td>{(u.IsGlobalAdmin ? "yes" : "")}</td>")
                .Append(CultureInfo.InvariantCulture, $"<td><form method=\"post\" action=\"{action}/users/{u.Id}?page={current}\" class=\"inline\">")
                .Append(CultureInfo.InvariantCulture, $"<label><input type=\"checkbox\" name=\"blockedByPolicy\" value=\"on\"{Checked(u.BlockedByPolicy)}> app blocked by policy</label> ")
                .Append(CultureInfo.InvariantCulture, $"<label><input type=\"checkbox\" name=\"neverOpenedTeams\" value=\"on\"{Checked(u.NeverOpenedTeams)}> never opened Teams</label> ")
                .Append("<button type=\"submit\">Save</button></form></td></tr>");
        }

        html.Append(CultureInfo.InvariantCulture, $"</table><nav class=\"pager\">Page {current} of {pages}");
        if (current > 1)
        {
            html.Append(CultureInfo.InvariantCulture, $" · <a href=\"{action}?page={current - 1}\" rel=\"prev\">Previous</a>");
        }

        if (current < pages)
        {
            html.Append(CultureInfo.InvariantCulture, $" · <a href=\"{action}?page={current + 1}\" rel=\"next\">Next</a>");
        }

        html.Append("</nav>");
        AppendTenantSections(html, runtime, t);
        return Page(t.DisplayName, html.ToString());
    }

    private static string FaultForm(string action, FaultView f, bool clearable)
    {
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"<form method=\"post\" action=\"{action}\" id=\"faults\" class=\"grid\">")
            .Append(CultureInfo.InvariantCulture, $"<label>Added latency (ms) <input name=\"latencyMs\" type=\"number\" min=\"0\" value=\"{f.LatencyMs}\"></label>")
            .Append(CultureInfo.InvariantCulture, $"<label>5xx rate (0–1) <input name=\"errorRate\" type=\"number\" min=\"0\" max=\"1\" step=\"0.01\" value=\"{f.ErrorRate.ToString(CultureInfo.InvariantCulture)}\"></label>")
            .Append(CultureInfo.InvariantCulture, $"<label>5xx statuses <input name=\"errorStatuses\" value=\"{string.Join(",", f.ErrorStatuses)}\"></label>")
            .Append(CultureInfo.InvariantCulture, $"<label>Retry-After (s) <input name=\"retryAfterSeconds\" type=\"number\" min=\"0\" value=\"{f.RetryAfterSeconds}\"></label>")
            .Append(CultureInfo.InvariantCulture, $"<label>429 storm for (s) <input name=\"stormSeconds\" type=\"number\" min=\"0\" value=\"{f.StormSecondsLeft}\"></label>")
            .Append(CultureInfo.InvariantCulture, $"<label><input type=\"checkbox\" name=\"timeout\" value=\"on\"{Checked(f.Timeout)}> Hold calls until the client gives up</label>")
            .Append(CultureInfo.InvariantCulture, $"<label><input type=\"checkbox\" name=\"failAsyncOperations\" value=\"on\"{Checked(f.FailAsyncOperations)}> Team creation operations fail</label>")
            .Append(clearable ? "<label><input type=\"checkbox\" name=\"clear\" value=\"on\"> Remove (use the tenant's settings)</label>" : "")
            .Append("<button type=\"submit\">Save faults</button></form>");
        return html.ToString();
    }

    private static async Task<IResult> SetThrottling(HttpContext http, Throttler throttler)
    {
        var form = await http.Request.ReadFormAsync();
        throttler.Enabled = form["enabled"] == "on";
        return Results.Redirect(Root, preserveMethod: false);
    }

    private static async Task<IResult> SetTenantFaults(string tenant, HttpContext http, SandboxRuntime runtime, FaultInjector faults)
    {
        if (runtime.State.FindTenant(tenant) is not { } t)
        {
            return Results.NotFound();
        }

        var request = ReadFaultForm(await http.Request.ReadFormAsync());
        if (request.Problem() is { } problem)
        {
            return Page("Invalid fault settings", $"<h1>Invalid fault settings</h1><p class=\"error\" role=\"alert\">{E(problem)}</p><p><a href=\"{Root}/tenants/{t.Id}\">Back</a></p>", StatusCodes.Status400BadRequest);
        }

        faults.SetTenant(t.Id, request.ToSettings(faults.Now));
        return Results.Redirect($"{Root}/tenants/{t.Id}");
    }

    private static FaultRequest ReadFaultForm(IFormCollection form) => new(
        Int(form["latencyMs"]),
        double.TryParse(form["errorRate"], NumberStyles.Float, CultureInfo.InvariantCulture, out var rate) ? rate : 0,
        [.. form["errorStatuses"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.TryParse(s, CultureInfo.InvariantCulture, out var n) ? n : 0)],
        Int(form["retryAfterSeconds"], 2),
        Int(form["stormSeconds"]),
        form["timeout"] == "on",
        form["failAsyncOperations"] == "on");

    private static IResult UserPage(string tenant, string user, SandboxRuntime runtime, FaultInjector faults)
    {
        if (runtime.State.FindTenant(tenant) is not { } t || runtime.State.FindUser(t.Id, user) is not { } u)
        {
            return Page("Not found", "<h1>No such user</h1>", StatusCodes.Status404NotFound);
        }

        var action = $"{Root}/tenants/{t.Id}/users/{u.Id}";
        var own = faults.ForUser(u.Id);
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"<p><a href=\"{Root}/tenants/{t.Id}\">{E(t.DisplayName)}</a></p><h1>{E(u.DisplayName)}</h1>")
            .Append(CultureInfo.InvariantCulture, $"<p>{E(u.UserPrincipalName)} · <code>{u.Id}</code>{(u.IsGlobalAdmin ? " · Global Administrator" : "")}</p>")
            .Append(CultureInfo.InvariantCulture, $"<h2>Teams flags</h2><form method=\"post\" action=\"{action}\" class=\"inline\">")
            .Append(CultureInfo.InvariantCulture, $"<label><input type=\"checkbox\" name=\"blockedByPolicy\" value=\"on\"{Checked(u.BlockedByPolicy)}> app blocked by policy</label> ")
            .Append(CultureInfo.InvariantCulture, $"<label><input type=\"checkbox\" name=\"neverOpenedTeams\" value=\"on\"{Checked(u.NeverOpenedTeams)}> never opened Teams</label> ")
            .Append("<button type=\"submit\">Save</button></form>")
            .Append(own is null ? "<h2>Faults</h2><p>None of their own: the tenant's settings apply.</p>" : "<h2>Faults (own settings)</h2>")
            .Append(FaultForm($"{action}/faults", FaultView.Of(own ?? FaultSettings.None, faults.Now), clearable: own is not null));
        return Page(u.DisplayName, html.ToString());
    }

    private static async Task<IResult> SetUserFaults(string tenant, string user, HttpContext http, SandboxRuntime runtime, FaultInjector faults)
    {
        if (runtime.State.FindTenant(tenant) is not { } t || runtime.State.FindUser(t.Id, user) is not { } u)
        {
            return Results.NotFound();
        }

        var form = await http.Request.ReadFormAsync();
        var request = ReadFaultForm(form);
        if (request.Problem() is { } problem)
        {
            return Page("Invalid fault settings", $"<h1>Invalid fault settings</h1><p class=\"error\" role=\"alert\">{E(problem)}</p><p><a href=\"{Root}/tenants/{t.Id}/users/{u.Id}\">Back</a></p>", StatusCodes.Status400BadRequest);
        }

        faults.SetUser(u.Id, form["clear"] == "on" ? null : request.ToSettings(faults.Now));
        return Results.Redirect($"{Root}/tenants/{t.Id}/users/{u.Id}");
    }

    private static async Task<IResult> SetUser(string tenant, string user, int? page, HttpContext http, SandboxRuntime runtime)
    {
        if (runtime.State.FindTenant(tenant) is not { } t || runtime.State.FindUser(t.Id, user) is not { } u)
        {
            return Results.NotFound();
        }

        var form = await http.Request.ReadFormAsync();
        PipelineControlEndpoints.SetFlags(runtime.State, u.Id, new(form["blockedByPolicy"] == "on", form["neverOpenedTeams"] == "on"));
        return Results.Redirect($"{Root}/tenants/{t.Id}?page={page ?? 1}");
    }

    private static async Task<IResult> Generate(string tenant, HttpContext http, SandboxRuntime runtime)
    {
        if (runtime.State.FindTenant(tenant) is not { } t)
        {
            return Results.NotFound();
        }

        var form = await http.Request.ReadFormAsync();
        TenantGenerator.Generate(runtime.State, t.Id, Math.Clamp(Int(form["users"], 1000), 1, 1_000_000), Int(form["seed"], 42));
        return Results.Redirect($"{Root}/tenants/{t.Id}");
    }

    /// <summary>
    /// Extension point: implement this partial method in another file of this class to add sections
    /// (teams, channels, messages) to a tenant's page, after the users.
    /// </summary>
    static partial void AppendTenantSections(StringBuilder html, SandboxRuntime runtime, Tenant tenant);

    private static int Int(string? value, int fallback = 0) => int.TryParse(value, CultureInfo.InvariantCulture, out var n) ? n : fallback;

    private static string Checked(bool on) => on ? " checked" : "";

    private static string E(string value) => WebUtility.HtmlEncode(value);

    private static IResult Page(string title, string body, int status = StatusCodes.Status200OK) =>
        Results.Content(
            $"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{E(title)} · Sandbox admin</title><style>{Style}</style></head>"
            + $"<body><header><a href=\"{Root}\">IncidentIo Sandbox</a> <span>simulated Microsoft 365 · admin</span></header><main>{body}</main></body></html>",
            "text/html; charset=utf-8",
            Encoding.UTF8,
            status);

    private const string Style =
        "*{box-sizing:border-box}body{margin:0;font-family:Segoe UI,system-ui,sans-serif;color:#222;background:#f5f5f7}header{background:#464775;color:#fff;padding:10px 24px}"
        + "header a{color:#fff;font-weight:600;text-decoration:none}header span{opacity:.8;margin-left:8px;font-size:small}main{max-width:1200px;margin:0 auto;padding:16px 24px}"
        + "table{border-collapse:collapse;width:100%;background:#fff;margin-bottom:16px}th,td{border-bottom:1px solid #e1e1e1;padding:6px 8px;text-align:left;vertical-align:top;font-size:14px}"
        + "th{background:#ebebf3}code{font-size:12px}form{margin:8px 0}.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:8px;background:#fff;padding:12px}"
        + ".inline{margin:0}label{font-size:14px}input[type=number],input:not([type]){width:100%;padding:4px}.inline label{margin-right:8px}"
        + "#generate input{width:8em}.inline{white-space:nowrap}td code{white-space:nowrap}"
        + "button{background:#5b5fc7;color:#fff;border:0;border-radius:4px;padding:6px 14px;cursor:pointer}.pager{margin:8px 0}.error{color:#c4314b}";
}
