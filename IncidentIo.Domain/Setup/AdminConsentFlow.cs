using System.Security.Cryptography;
using Hangfire;
using IncidentIo.Domain.Audit;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.MicrosoftCloud;
using IncidentIo.Domain.Organizations;
using IncidentIo.Domain.People;
using IncidentIo.Domain.Roles;
using IncidentIo.Domain.Users;
using IncidentIo.Domain.Setup.AutomaticInstall;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.Identity.Client;
using Microsoft.Identity.Web;

namespace IncidentIo.Domain.Setup;

/// <summary>
/// Both admin consents: #1 ("global permissions", our main app, kept) and #2 (the temporary setup
/// app). Sends the admin to Microsoft's admin consent page and accepts the answer only if it is
/// the answer to a request we made for this person and this organisation; then confirms with an
/// app-only token of that app that the permissions really are granted.
/// </summary>
public sealed class AdminConsentFlow(
    IDbContextFactory<IncidentIoDbContext> dbFactory,
    IOptionsMonitor<MicrosoftIdentityOptions> identity,
    ITokenAcquisition tokens,
    SetupAppTokens setupApp,
    IBackgroundJobClient jobs,
    TimeProvider clock)
{
    /// <summary>Records a new request and returns the admin consent address to send the browser to.</summary>
    public async Task<Uri> StartAsync(Membership member, ConsentKind kind, Uri redirectUri, CancellationToken cancellationToken = default)
    {
        var state = System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        var now = clock.GetUtcNow();
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            db.ConsentRequests.Add(new ConsentRequest
            {
                OrganizationId = member.Organization.Id,
                RequestedByUserId = member.User.Id,
                Kind = kind,
                StateHash = Hash(state),
                CreatedAt = now,
                ExpiresAt = now + ConsentRequest.Lifetime,
            });
            await db.SaveChangesAsync(cancellationToken);
        }

        var app = identity.Get(OpenIdConnectDefaults.AuthenticationScheme);
        var query = new Dictionary<string, string?>
        {
            ["client_id"] = kind == ConsentKind.SetupPermissions ? setupApp.ClientId : app.ClientId,
            ["scope"] = GraphClients.GraphScope,
            ["redirect_uri"] = redirectUri.ToString(),
            ["state"] = state,
        };
        var address = $"{app.Instance!.TrimEnd('/')}/{member.Organization.MicrosoftTenantId}/v2.0/adminconsent";
        return new Uri(Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(address, query));
    }

    /// <summary>Handles Microsoft's redirect back. Nothing changes unless the answer is ours and complete.</summary>
    /// <param name="kind">The consent the callback address belongs to: an answer for the other one is not accepted there.</param>
    public async Task<ConsentAnswer> CompleteAsync(SignedInAccount signedIn, ConsentKind kind, IReadOnlyDictionary<string, string?> query, CancellationToken cancellationToken = default)
    {
        var state = query.GetValueOrDefault("state");
        if (string.IsNullOrEmpty(state))
        {
            return ConsentAnswer.Rejected(ConsentRejection.NotYours);
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var hash = Hash(state);
        var request = await db.ConsentRequests.SingleOrDefaultAsync(r => r.StateHash == hash, cancellationToken);
        var organization = request is null ? null : await db.Organizations.SingleAsync(o => o.Id == request.OrganizationId, cancellationToken);
        var requester = request is null ? null : await db.Users.SingleAsync(u => u.Id == request.RequestedByUserId, cancellationToken);
        if (request is null || organization is null || requester is null || request.Kind != kind
            || organization.MicrosoftTenantId != signedIn.TenantId || requester.MicrosoftObjectId != signedIn.ObjectId)
        {
            return ConsentAnswer.Rejected(ConsentRejection.NotYours);
        }

        if (request.AnsweredAt is not null)
        {
            return ConsentAnswer.Rejected(ConsentRejection.AlreadyAnswered);
        }

        var now = clock.GetUtcNow();
        if (now > request.ExpiresAt)
        {
            return ConsentAnswer.Rejected(ConsentRejection.Expired);
        }

        request.AnsweredAt = now;
        if (query.GetValueOrDefault("error") is { Length: > 0 } error)
        {
            var failure = EntraError.Parse(error, query.GetValueOrDefault("error_description"));
            Record(request, failure);
            await db.SaveChangesAsync(cancellationToken);
            return ConsentAnswer.FailedWith(failure);
        }

        if (!string.Equals(query.GetValueOrDefault("admin_consent"), "True", StringComparison.OrdinalIgnoreCase)
            || !Guid.TryParse(query.GetValueOrDefault("tenant"), out var tenant) || tenant != organization.MicrosoftTenantId)
        {
            // The tenant in the query can be forged; it must at least be the organisation's own.
            await db.SaveChangesAsync(cancellationToken);
            return ConsentAnswer.Rejected(ConsentRejection.OtherTenant);
        }

        var missing = await MissingPermissionsAsync(request.Kind, organization.MicrosoftTenantId, cancellationToken);
        if (missing is { Count: > 0 } stillMissing)
        {
            var failure = new EntraError("permissions_missing", $"Not granted: {string.Join(", ", stillMissing)}", null, null, null, null);
            Record(request, failure);
            await db.SaveChangesAsync(cancellationToken);
            return ConsentAnswer.FailedWith(failure);
        }

        request.Outcome = ConsentOutcome.Granted;
        var actor = AuditLogEntry.UserActor(signedIn.UserPrincipalName, signedIn.ObjectId);
        if (request.Kind == ConsentKind.SetupPermissions)
        {
            organization.SetupPermissionsGrantedAt = now;
            organization.UpdatedAt = now;
            db.AuditLog.Add(AuditLogEntry.Record(organization.Id, now, actor, "setup.setup-permissions-granted",
                $"Temporary setup app; confirmed with its app-only token: {string.Join(", ", SetupPermissions.Names)}."));
        }
        else
        {
            organization.GlobalPermissionsGrantedAt = now;
            organization.Reach(SetupStage.GlobalPermissionsGranted, now);
            db.AuditLog.Add(AuditLogEntry.Record(organization.Id, now, actor, "setup.global-permissions-granted",
                $"Confirmed with an app-only token: {string.Join(", ", GlobalPermissions.Names)}."));
            if (requester.IsActive && requester.Role != UserRole.Owner && await Ownership.UnownedAsync(db, organization.Id, cancellationToken))
            {
                // Only a Microsoft admin can grant these permissions (in the browser that came back here):
                // that proves ownership of an organisation nobody owns yet.
                requester.Role = UserRole.Owner;
                db.AuditLog.Add(AuditLogEntry.Record(organization.Id, now, actor, "organization.owner-claimed",
                    "Became Owner by completing the global-permissions admin consent while nobody owned the organisation."));
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        if (request.Kind != ConsentKind.SetupPermissions)
        {
            // Now we may act in the tenant: our app is installed for everyone known so far (the admin
            // who just set up among them), and the teams our bot reported are read for their people.
            var organizationId = organization.Id;
            jobs.Enqueue<TeamRosters>(r => r.PermissionsGrantedAsync(organizationId, CancellationToken.None));
        }

        return ConsentAnswer.Granted();
    }

    /// <summary>The permissions the app's app-only token for the tenant lacks (all of them when Microsoft refuses a token).</summary>
    private async Task<IReadOnlyList<string>> MissingPermissionsAsync(ConsentKind kind, Guid tenantId, CancellationToken cancellationToken)
    {
        var wanted = kind == ConsentKind.SetupPermissions ? SetupPermissions.Names : GlobalPermissions.Names;
        try
        {
            IReadOnlySet<string> roles = kind == ConsentKind.SetupPermissions
                ? await setupApp.GrantedAsync(tenantId, cancellationToken)
                : AppOnlyTokens.RolesOf((await tokens.GetAuthenticationResultForAppAsync(GraphClients.GraphScope, tenant: tenantId.ToString())).AccessToken);
            return [.. wanted.Where(name => !roles.Contains(name))];
        }
        catch (MsalServiceException)
        {
            return [.. wanted];
        }
    }

    private static void Record(ConsentRequest request, EntraError failure)
    {
        request.Outcome = ConsentOutcome.Failed;
        request.Error = failure.Error;
        request.ErrorCode = failure.Code;
        request.ErrorDescription = failure.Description.Length > 2000 ? failure.Description[..2000] : failure.Description;
        request.TraceId = failure.TraceId;
        request.CorrelationId = failure.CorrelationId;
    }

    private static string Hash(string state) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(state)));
}

/// <summary>What became of Microsoft's answer. Rejected: not an answer we can accept; nothing changed.</summary>
public sealed record ConsentAnswer(bool IsGranted, ConsentRejection? RejectedBecause, EntraError? Failure)
{
    public static ConsentAnswer Granted() => new(true, null, null);

    public static ConsentAnswer Rejected(ConsentRejection reason) => new(false, reason, null);

    public static ConsentAnswer FailedWith(EntraError failure) => new(false, null, failure);
}

public enum ConsentRejection
{
    /// <summary>No state, an unknown state, or one started by someone else or for another organisation.</summary>
    NotYours,
    AlreadyAnswered,
    Expired,

    /// <summary>Microsoft's answer names a tenant other than the organisation's.</summary>
    OtherTenant,
}

public static class ConsentRejectionText
{
    public static string Describe(this ConsentRejection rejection) => rejection switch
    {
        ConsentRejection.NotYours => "That answer from Microsoft does not belong to a permission request you started here, so it was ignored. Start the step again below.",
        ConsentRejection.AlreadyAnswered => "That permission request was already answered. Start the step again if you need to.",
        ConsentRejection.Expired => "That permission request expired before Microsoft answered. Start the step again.",
        ConsentRejection.OtherTenant => "Microsoft's answer names another organisation than the one you are setting up, so nothing was changed. Sign in with an admin of your own organisation.",
        _ => "The answer was ignored.",
    };
}
