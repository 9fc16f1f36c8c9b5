using System.Text.Json;
using System.Text.Json.Nodes;
using IncidentIo.Domain.Bot.Inbound;
using IncidentIo.Domain.Data;
using IncidentIo.Domain.Incidents;
using IncidentIo.Domain.TeamsApp;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using User = IncidentIo.Domain.Users.User;

namespace IncidentIo.Domain.Bot.Declare;

/// <summary>
/// Declaring from the bot: who may (an active person of the organisation that owns the
/// activity's tenant), the form the bot sends for "declare …", and the answer to the form's
/// submit, an <c>adaptiveCard/action</c> invoke that Teams expects answered in the HTTP response
/// within a few seconds. The incident is declared by <see cref="IncidentService"/>, as in the tab;
/// the card's key and the submitter make the submit happen once, however often Teams repeats it.
/// </summary>
public sealed class BotDeclare(
    IDbContextFactory<IncidentIoDbContext> dbFactory,
    IncidentService incidents,
    IOptions<TeamsAppOptions> teamsApp,
    TimeProvider clock,
    ILogger<BotDeclare> logger)
{
    /// <summary>The invoke a card's <c>Action.Execute</c> sends.</summary>
    public const string CardActionInvoke = "adaptiveCard/action";

    // Invoke response types, per "Work with Universal Actions for Adaptive Cards" (response format):
    // https://learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/universal-actions-for-adaptive-cards/work-with-universal-actions-for-adaptive-cards
    public const string CardResponseType = "application/vnd.microsoft.card.adaptive";
    public const string MessageResponseType = "application/vnd.microsoft.activity.message";
    public const string ErrorResponseType = "application/vnd.microsoft.error";

    /// <summary>The person behind an activity, or why they may not declare (nothing else is looked at then).</summary>
    public sealed record Declarer(User? User, string? Refusal);

    public async Task<Declarer> WhoIsAsync(Guid organizationId, ChannelAccount? from, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await WhoIsAsync(db, organizationId, from, cancellationToken);
    }

    /// <summary>The form for "declare <paramref name="name"/>": severity SEV3, the first type, the declarer as lead.</summary>
    public async Task<JsonObject> FormAsync(Guid organizationId, Guid declarerId, string? name, Guid cardKey, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var values = new DeclareIncident { Name = name, LeadUserId = declarerId, Type = incidents.Types.Count > 0 ? incidents.Types[0] : null };
        return DeclareCard.Form(cardKey, values, incidents.Types, await LeadsAsync(db, organizationId, declarerId, cancellationToken));
    }

    /// <summary>
    /// The answer to an <c>adaptiveCard/action</c> invoke: the result card in place of the form, the
    /// form again with what was wrong, or a message saying why this person may not declare.
    /// </summary>
    public async Task<JsonObject> AnswerAsync(BotActivity invoke, CancellationToken cancellationToken)
    {
        if (Submitted(invoke) is not { } submit)
        {
            return Error(400, "BadRequest", "This is not a submit of IncidentIo's declare card.");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var organization = invoke.TenantId is { } tenantId
            ? await db.Organizations.AsNoTracking().SingleOrDefaultAsync(o => o.MicrosoftTenantId == tenantId, cancellationToken)
            : null;
        if (organization is null)
        {
            logger.LogWarning("Declare card submitted from tenant {Tenant}, which is no organisation of ours: refused", invoke.TenantId);
            return Message("IncidentIo is not set up for your organisation, so nothing was declared.");
        }

        var declarer = await WhoIsAsync(db, organization.Id, invoke.From, cancellationToken);
        if (declarer.User is not { } user)
        {
            logger.LogInformation("Declare card submitted in organisation {Organization} by {ObjectId}, who may not declare: {Reason}", organization.Id, invoke.From?.AadObjectId, declarer.Refusal);
            return Message(declarer.Refusal!);
        }

        if (await DeclaredBeforeAsync(db, organization.Id, submit.Key, user.Id, cancellationToken) is { } earlier)
        {
            return earlier; // Teams repeating the invoke, or a second click: the same answer, nothing new
        }

        DeclareIncidentResult result;
        try
        {
            result = await incidents.DeclareAsync(organization.Id, user.Id, submit.Form, (context, incident) => context.Add(new BotDeclaration
            {
                OrganizationId = organization.Id, CardKey = submit.Key, UserId = user.Id, IncidentId = incident.Id, DeclaredAt = clock.GetUtcNow(),
            }), cancellationToken);
        }
        catch (DbUpdateException)
        {
            // The same submit, declared by another request a moment ago: its answer.
            var answer = await DeclaredBeforeAsync(db, organization.Id, submit.Key, user.Id, cancellationToken);
            if (answer is null)
            {
                throw;
            }

            return answer;
        }

        if (!result.Succeeded)
        {
            return Card(DeclareCard.Form(submit.Key, submit.Form, incidents.Types, await LeadsAsync(db, organization.Id, user.Id, cancellationToken), result.Errors));
        }

        logger.LogInformation("{Reference} declared from the bot's card in organisation {Organization}", result.Incident!.Reference, organization.Id);
        return await DeclaredCardAsync(db, result.Incident, cancellationToken);
    }

    public static JsonObject Card(JsonObject card) => new() { ["statusCode"] = 200, ["type"] = CardResponseType, ["value"] = card };

    public static JsonObject Message(string text) => new() { ["statusCode"] = 200, ["type"] = MessageResponseType, ["value"] = text };

    public static JsonObject Error(int status, string code, string message) =>
        new() { ["statusCode"] = status, ["type"] = ErrorResponseType, ["value"] = new JsonObject { ["code"] = code, ["message"] = message } };

    private async Task<Declarer> WhoIsAsync(IncidentIoDbContext db, Guid organizationId, ChannelAccount? from, CancellationToken cancellationToken)
    {
        var portal = $"https://{teamsApp.Value.PortalHost}";
        var user = from?.ObjectId is { } objectId
            ? await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.OrganizationId == organizationId && u.MicrosoftObjectId == objectId, cancellationToken)
            : null;
        return user switch
        {
            null => new(null, $"IncidentIo does not know you yet, so you cannot declare here. Open the Incidents tab in Teams or sign in at {portal} once, then try again."),
            { IsActive: false } => new(null, $"Your IncidentIo account is deactivated ({user.DeactivationReason ?? "no reason recorded"}), so you cannot declare incidents. " +
                                             "Join a team where IncidentIo is installed, or ask an admin."),
            _ => new(user, null),
        };
    }

    private async Task<JsonObject?> DeclaredBeforeAsync(IncidentIoDbContext db, Guid organizationId, Guid key, Guid userId, CancellationToken cancellationToken)
    {
        var incident = await db.BotDeclarations.AsNoTracking()
            .Where(d => d.OrganizationId == organizationId && d.CardKey == key && d.UserId == userId)
            .Join(db.Incidents, d => d.IncidentId, i => i.Id, (_, i) => i)
            .SingleOrDefaultAsync(cancellationToken);
        return incident is null ? null : await DeclaredCardAsync(db, incident, cancellationToken);
    }

    private async Task<JsonObject> DeclaredCardAsync(IncidentIoDbContext db, Incident incident, CancellationToken cancellationToken)
    {
        var names = await db.Users.AsNoTracking()
            .Where(u => u.OrganizationId == incident.OrganizationId && (u.Id == incident.LeadUserId || u.Id == incident.DeclaredByUserId))
            .ToDictionaryAsync(u => u.Id, u => u.DisplayName, cancellationToken);
        var openUrl = new Uri($"https://{teamsApp.Value.PortalHost}/incidents/{incident.Id}");
        return Card(DeclareCard.Declared(incident, names.GetValueOrDefault(incident.LeadUserId, "(unknown)"), names.GetValueOrDefault(incident.DeclaredByUserId, "(unknown)"), openUrl));
    }

    /// <summary>Active people to offer as lead, the declarer first.</summary>
    private static async Task<IReadOnlyList<DeclareCard.Person>> LeadsAsync(IncidentIoDbContext db, Guid organizationId, Guid declarerId, CancellationToken cancellationToken)
    {
        var people = await db.Users.AsNoTracking()
            .Where(u => u.OrganizationId == organizationId && u.IsActive)
            .OrderBy(u => u.Id == declarerId ? 0 : 1).ThenBy(u => u.DisplayName)
            .Take(DeclareCard.MaxLeadChoices)
            .Select(u => new DeclareCard.Person(u.Id, u.UserPrincipalName == null ? u.DisplayName : u.DisplayName + " (" + u.UserPrincipalName + ")"))
            .ToListAsync(cancellationToken);
        return people;
    }

    private sealed record Submit(Guid Key, DeclareIncident Form);

    /// <summary>
    /// The card's data and inputs from <c>value.action</c> (Teams merges the inputs into the action's
    /// data); null when this is not our card's <c>Action.Execute</c> with its key.
    /// </summary>
    private static Submit? Submitted(BotActivity invoke)
    {
        if (invoke.Name != CardActionInvoke || invoke.Value is not { ValueKind: JsonValueKind.Object } value
            || !value.TryGetProperty("action", out var action) || action.ValueKind != JsonValueKind.Object
            || Text(action, "type") != "Action.Execute" || Text(action, "verb") != DeclareCard.Verb
            || !action.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object
            || !Guid.TryParse(Text(data, DeclareCard.KeyField), out var key))
        {
            return null;
        }

        var form = new DeclareIncident
        {
            Name = Text(data, DeclareCard.NameInput),
            Summary = Text(data, DeclareCard.SummaryInput),
            Type = Text(data, DeclareCard.TypeInput),
            // Only names: a number would pass Enum.TryParse and then be reported by the form's own check.
            Severity = Text(data, DeclareCard.SeverityInput) is { } severity && Enum.TryParse<IncidentSeverity>(severity, ignoreCase: true, out var parsed) && !char.IsAsciiDigit(severity.TrimStart().FirstOrDefault())
                ? parsed
                : 0,
            LeadUserId = Guid.TryParse(Text(data, DeclareCard.LeadInput), out var lead) ? lead : Guid.Empty,
        };
        return new Submit(key, form);
    }

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
