using System.Globalization;
using System.Security.Claims;
using IncidentIo.Domain.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Web;

namespace IncidentIo.Portal.Setup;

/// <summary>What a customer tells support about a failure: Microsoft's ids, who they are, where they were.</summary>
/// <param name="Code">The AADSTS number, if Microsoft gave one.</param>
/// <param name="Organization">The signed-in person's organisation, if any (see <see cref="SupportContact.OrganizationAsync"/>).</param>
/// <param name="PageUrl">The page the person was on.</param>
/// <param name="Person">Who is writing, as support finds them (name, sign-in name, Microsoft object id), when known.</param>
/// <param name="Subject">The e-mail's subject, when not about a sign-in or permission error.</param>
public sealed record SupportDetails(int? Code, string? CorrelationId, string? TraceId, string? Timestamp, string? Organization, string? PageUrl, string? Person = null, string? Subject = null)
{
    public string? CodeLabel => Code is { } code ? $"AADSTS{code.ToString(CultureInfo.InvariantCulture)}" : null;

    /// <summary>One line per known value, for the e-mail body and the "copy details" button.</summary>
    public string Text => string.Join("\r\n", Lines());

    private IEnumerable<string> Lines()
    {
        IEnumerable<(string Name, string? Value)> fields =
        [
            ("Person", Person),
            ("Error code", CodeLabel),
            ("Correlation ID", CorrelationId),
            ("Trace ID", TraceId),
            ("Timestamp", Timestamp),
            ("Organisation", Organization),
            ("Page", PageUrl),
        ];
        return fields.Where(f => !string.IsNullOrWhiteSpace(f.Value)).Select(f => $"{f.Name}: {f.Value}");
    }
}

/// <summary>The "Contact support" e-mail: the configured address, a subject and a body carrying the details.</summary>
public sealed class SupportContact(IOptions<SupportOptions> options, IDbContextFactory<IncidentIoDbContext> dbFactory)
{
    public string Email => options.Value.Email;

    /// <summary>A <c>mailto:</c> address with subject and body prefilled and percent-encoded (RFC 6068).</summary>
    public string MailtoFor(SupportDetails details)
    {
        var subject = details.Subject ?? (details.CodeLabel is { } code ? $"IncidentIo setup: {code}" : "IncidentIo setup: a problem with Microsoft sign-in or permissions");
        var body = $"Hello IncidentIo support,\r\n\r\n(What were you doing when it happened?)\r\n\r\n{details.Text}\r\n";
        return $"mailto:{Email}?subject={Uri.EscapeDataString(subject)}&body={Uri.EscapeDataString(body)}";
    }

    /// <summary>
    /// The signed-in person's organisation as support can find it: its name here, if it has one
    /// yet, and its Microsoft tenant id; null for someone not signed in.
    /// </summary>
    public async Task<string?> OrganizationAsync(ClaimsPrincipal? user, CancellationToken cancellationToken = default)
    {
        if (user?.Identity?.IsAuthenticated != true || !Guid.TryParse(user.GetTenantId(), out var tenantId))
        {
            return null;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var name = await db.Organizations.AsNoTracking().Where(o => o.MicrosoftTenantId == tenantId).Select(o => o.Name).FirstOrDefaultAsync(cancellationToken);
        return name is null ? $"Microsoft tenant {tenantId}" : $"{name} (Microsoft tenant {tenantId})";
    }
}
