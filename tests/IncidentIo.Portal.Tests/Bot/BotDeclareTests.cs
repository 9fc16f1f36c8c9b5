using System.Net;
using System.Text.Json.Nodes;
using IncidentIo.Domain.Bot.Declare;
using IncidentIo.Domain.Incidents;
using IncidentIo.Domain.Organizations;
using Organization = IncidentIo.Domain.Organizations.Organization;
using IncidentIo.Domain.Users;
using IncidentIo.Sandbox.BotFramework;
using IncidentIo.Sandbox.State;
using Microsoft.EntityFrameworkCore;
using User = IncidentIo.Domain.Users.User;

namespace IncidentIo.Portal.Tests.Bot;

/// <summary>
/// "declare …" said to our bot, through the Sandbox's Teams channel (signed as Microsoft signs) to
/// the real endpoint on PostgreSQL: the form comes back where it was said, its submit (an
/// adaptiveCard/action invoke) declares through IncidentService once however often it arrives, and
/// people who may not declare are told why with nothing created. Each test uses its own people.
/// </summary>
public sealed class BotDeclareTests(PostgresBotPortal portal) : IClassFixture<PostgresBotPortal>
{
    [Fact]
    public async Task Declare_in_a_chat_sends_the_form_and_its_submit_declares_once_however_often_teams_sends_it()
    {
        var isaiah = await InstalledForAsync("isaiah.langer@contoso.example");
        var card = await FormAfterSayingAsync(isaiah, "declare Checkout is down");
        var form = Content(card);
        Assert.Equal("Checkout is down", Input(form, DeclareCard.NameInput)["value"]!.GetValue<string>());
        var declarer = await portal.UserAsync("isaiah.langer@contoso.example");
        Assert.Equal(declarer.Id.ToString(), Input(form, DeclareCard.LeadInput)["value"]!.GetValue<string>());
        var before = await CountsAsync();

        var data = Data(form, (DeclareCard.SeverityInput, "Sev2"), (DeclareCard.SummaryInput, "Payments time out."));
        var first = await SubmitAsync(card, isaiah, data);
        // Teams retries an invoke it got no answer to, and people click twice, sometimes at once.
        var again = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => SubmitAsync(card, isaiah, data)));

        Assert.Equal(BotDeclare.CardResponseType, first["type"]!.GetValue<string>());
        var reference = Headline(first);
        Assert.Matches("^INC-\\d+ declared$", reference);
        Assert.All(again, answer => Assert.Equal(reference, Headline(answer)));
        var after = await CountsAsync();
        Assert.Equal(before with { Incidents = before.Incidents + 1, Declarations = before.Declarations + 1, Updates = before.Updates + 1, Audit = before.Audit + 1 }, after);
        await using var db = portal.NewContext();
        var incident = await db.Incidents.AsNoTracking().SingleAsync(i => i.OrganizationId == portal.OrganizationId && i.DeclaredByUserId == declarer.Id);
        Assert.Equal(("Checkout is down", IncidentSeverity.Sev2, "Payments time out.", declarer.Id), (incident.Name, incident.Severity, incident.Summary, incident.LeadUserId));
        // Announced by the rules like any declaration: its Declared update is there for the announcing job.
        Assert.True(await db.IncidentUpdates.AnyAsync(u => u.IncidentId == incident.Id && u.Kind == IncidentUpdateKind.Declared));
    }

    [Fact]
    public async Task Declare_mentioned_in_a_channel_answers_with_the_form_in_that_thread()
    {
        var team = portal.Sandbox.State.Teams.CreateTeam(BotPortal.Contoso, "Declare channel", null, [(DemoSeed.AdminId, true)]);
        await portal.InstallInTeamAsync(team.Id);
        var thread = team.GeneralChannelId;

        var delivery = await portal.Sandbox.Bot.Channel.ChannelMentionAsync(portal.BotId, thread, DemoSeed.AdminId, "declare Database is slow");

        Assert.True(delivery.Delivered, delivery.Error);
        var conversation = delivery.Activity["conversation"]!["id"]!.GetValue<string>();
        var card = await EventuallyAsync(() => portal.Sandbox.Bot.Activities.For(thread).FirstOrDefault(a => a.ConversationId == conversation && a.Attachments is not null));
        Assert.Equal("Database is slow", Input(Content(card), DeclareCard.NameInput)["value"]!.GetValue<string>());
        Assert.Equal(delivery.ActivityId, card.ReplyToId);
    }

    [Fact]
    public async Task A_deactivated_person_is_told_why_both_when_asking_and_when_submitting_and_nothing_is_created()
    {
        var miriam = await InstalledForAsync("miriam.graham@contoso.example");
        var card = await FormAfterSayingAsync(miriam, "declare Before I left");
        await using (var db = portal.NewContext())
        {
            var user = await db.Users.SingleAsync(u => u.OrganizationId == portal.OrganizationId && u.MicrosoftObjectId == miriam);
            user.Deactivate("in no team where IncidentIo is installed", DateTimeOffset.UtcNow);
            await db.SaveChangesAsync();
        }

        var before = await CountsAsync();
        var answer = await SubmitAsync(card, miriam, Data(Content(card)));
        var chat = portal.Sandbox.Bot.Conversations.GetOrCreate(portal.BotId, BotPortal.Contoso, miriam).Id;
        await portal.Sandbox.Bot.Channel.UserMessageAsync(portal.BotId, BotPortal.Contoso, miriam, "declare Now");
        var reply = await EventuallyAsync(() => portal.Sandbox.Bot.Activities.For(chat).FirstOrDefault(a => a.Text?.Contains("deactivated", StringComparison.Ordinal) == true));

        Assert.Equal(BotDeclare.MessageResponseType, answer["type"]!.GetValue<string>());
        Assert.Contains("deactivated (in no team where IncidentIo is installed)", answer["value"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(reply.Attachments);
        Assert.Equal(before, await CountsAsync());
    }

    [Fact]
    public async Task Someone_we_do_not_know_or_from_another_tenant_cannot_declare_and_nothing_is_created()
    {
        var megan = await InstalledForAsync("megan.bowen@contoso.example");
        var card = await FormAfterSayingAsync(megan, "declare Someone else's card");
        var data = Data(Content(card));
        var stranger = Guid.NewGuid();
        var before = await CountsAsync();

        // Contoso's card submitted by a person we do not know, by a person of another tenant, and from a tenant that is no organisation.
        var unknown = await SubmitAsync(card, stranger, data);
        var otherTenantsPerson = await SubmitAsync(card, DemoSeed.StaffUserId, data);
        var otherTenant = await SubmitAsync(card, DemoSeed.StaffUserId, data, tenantId: DemoSeed.StaffTenantId);

        Assert.All([unknown, otherTenantsPerson], answer => Assert.Contains("does not know you", answer["value"]!.GetValue<string>(), StringComparison.Ordinal));
        Assert.Contains("not set up for your organisation", otherTenant["value"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(before, await CountsAsync());
    }

    [Fact]
    public async Task Wrong_fields_bring_the_form_back_with_the_reasons_and_a_lead_of_another_organisation_is_refused()
    {
        var nestor = await InstalledForAsync("nestor.wilke@contoso.example");
        var card = await FormAfterSayingAsync(nestor, "declare");
        var outsider = await OutsiderAsync();
        var before = await CountsAsync();

        var noName = await SubmitAsync(card, nestor, Data(Content(card), (DeclareCard.NameInput, "  ")));
        var badSeverity = await SubmitAsync(card, nestor, Data(Content(card), (DeclareCard.NameInput, "Disk full"), (DeclareCard.SeverityInput, "7")));
        var foreignLead = await SubmitAsync(card, nestor, Data(Content(card), (DeclareCard.NameInput, "Disk full"), (DeclareCard.LeadInput, outsider.ToString())));

        Assert.Contains("Give the incident a name.", Texts(noName), StringComparison.Ordinal);
        Assert.Contains("Choose a severity from SEV1 to SEV4.", Texts(badSeverity), StringComparison.Ordinal);
        Assert.Contains("The lead must be an active member of your organisation.", Texts(foreignLead), StringComparison.Ordinal);
        Assert.Equal("Disk full", Input(foreignLead["value"]!.AsObject(), DeclareCard.NameInput)["value"]!.GetValue<string>());
        Assert.Equal(before, await CountsAsync());

        // The same card, fixed, then declares.
        var declared = await SubmitAsync(card, nestor, Data(Content(card), (DeclareCard.NameInput, "Disk full")));
        Assert.Matches("^INC-\\d+ declared$", Headline(declared));
    }

    [Fact]
    public async Task An_invoke_that_is_not_our_cards_submit_is_refused_and_an_unsigned_one_never_read()
    {
        var before = await CountsAsync();
        var noKey = Invoke(DemoSeed.AdminId, BotPortal.Contoso, new JsonObject { ["name"] = "x" }, "adaptiveCard/action");
        var otherInvoke = Invoke(DemoSeed.AdminId, BotPortal.Contoso, new JsonObject(), "task/fetch");

        var refused = await portal.Sandbox.Bot.Channel.SendAsync(portal.BotId, noKey);
        var unhandled = await portal.Sandbox.Bot.Channel.SendAsync(portal.BotId, otherInvoke);
        using var unsigned = await portal.PostAsync(null, Invoke(DemoSeed.AdminId, BotPortal.Contoso, new JsonObject { [DeclareCard.KeyField] = Guid.NewGuid().ToString(), ["name"] = "x" }, "adaptiveCard/action").ToJsonString());

        var error = JsonNode.Parse(refused.ResponseBody!)!;
        Assert.Equal((200, 400, BotDeclare.ErrorResponseType), (refused.Statuses[^1], error["statusCode"]!.GetValue<int>(), error["type"]!.GetValue<string>()));
        Assert.Equal(501, unhandled.Statuses[^1]);
        Assert.Equal(HttpStatusCode.Unauthorized, unsigned.StatusCode);
        Assert.Equal(before, await CountsAsync());
    }

    private sealed record Counts(int Incidents, int Declarations, int Updates, int Audit, int Users);

    private async Task<Counts> CountsAsync()
    {
        await using var db = portal.NewContext();
        return new Counts(await db.Incidents.CountAsync(), await db.BotDeclarations.CountAsync(), await db.IncidentUpdates.CountAsync(), await db.AuditLog.CountAsync(), await db.Users.CountAsync());
    }

    private async Task<Guid> InstalledForAsync(string upn)
    {
        var person = portal.SandboxUser(upn);
        Assert.NotNull(portal.Sandbox.State.Teams.InstallForUser(BotPortal.Contoso, person, portal.CatalogAppId(), awaitingTeamsClient: false));
        await portal.Sandbox.Bot.Relay.WhenIdleAsync();
        return person;
    }

    /// <summary>Says <paramref name="text"/> in the person's chat with our bot and waits for the form.</summary>
    private async Task<SentActivity> FormAfterSayingAsync(Guid person, string text)
    {
        var chat = portal.Sandbox.Bot.Conversations.GetOrCreate(portal.BotId, BotPortal.Contoso, person).Id;
        var delivery = await portal.Sandbox.Bot.Channel.UserMessageAsync(portal.BotId, BotPortal.Contoso, person, text);
        Assert.True(delivery.Delivered, delivery.Error);
        return await EventuallyAsync(() => portal.Sandbox.Bot.Activities.For(chat).LastOrDefault(a => a.ReplyToId == delivery.ActivityId && a.Attachments is not null));
    }

    private async Task<JsonObject> SubmitAsync(SentActivity card, Guid person, JsonObject data, Guid? tenantId = null)
    {
        var action = DeclareAction(Content(card));
        DeliveryRecord delivery;
        if (tenantId is { } tenant)
        {
            var invoke = Invoke(person, tenant, data, "adaptiveCard/action");
            delivery = await portal.Sandbox.Bot.Channel.SendAsync(portal.BotId, invoke);
        }
        else
        {
            delivery = await portal.Sandbox.Bot.Channel.CardActionAsync(card, person, action, data);
        }

        Assert.Equal(200, delivery.Statuses[^1]);
        return JsonNode.Parse(delivery.ResponseBody!)!.AsObject();
    }

    /// <summary>A card submit as the channel sends it, in a 1:1 conversation of <paramref name="tenantId"/>.</summary>
    private JsonObject Invoke(Guid person, Guid tenantId, JsonObject data, string name) => new()
    {
        ["type"] = "invoke",
        ["name"] = name,
        ["id"] = $"f:{Guid.NewGuid()}",
        ["channelId"] = "msteams",
        ["serviceUrl"] = portal.Sandbox.Bot.ServiceUrl,
        ["from"] = new JsonObject { ["id"] = ConnectorIds.UserId(tenantId, person), ["aadObjectId"] = person.ToString() },
        ["recipient"] = new JsonObject { ["id"] = $"28:{portal.BotId}" },
        ["conversation"] = new JsonObject { ["conversationType"] = "personal", ["tenantId"] = tenantId.ToString(), ["id"] = $"a:{Guid.NewGuid()}" },
        ["channelData"] = new JsonObject { ["tenant"] = new JsonObject { ["id"] = tenantId.ToString() } },
        ["value"] = new JsonObject { ["action"] = new JsonObject { ["type"] = "Action.Execute", ["verb"] = DeclareCard.Verb, ["data"] = data.DeepClone() }, ["trigger"] = "manual" },
    };

    /// <summary>An active person of another organisation (the staff tenant's).</summary>
    private async Task<Guid> OutsiderAsync()
    {
        await using var db = portal.NewContext();
        var organization = new Organization { Name = $"Other {Guid.NewGuid():N}", MicrosoftTenantId = Guid.NewGuid(), SetupStage = SetupStage.TeamsAppInstalled };
        var outsider = new User { OrganizationId = organization.Id, MicrosoftObjectId = Guid.NewGuid(), DisplayName = "Outsider", Role = UserRole.Admin, CreatedAt = DateTimeOffset.UtcNow };
        db.Organizations.Add(organization);
        db.Users.Add(outsider);
        await db.SaveChangesAsync();
        return outsider.Id;
    }

    private static JsonObject Content(SentActivity card) => card.Attachments![0]!["content"]!.AsObject();

    private static JsonObject Input(JsonObject card, string id) =>
        card["body"]!.AsArray().OfType<JsonObject>().Single(e => e["id"]?.GetValue<string>() == id);

    private static JsonObject DeclareAction(JsonObject card) => card["actions"]!.AsArray().OfType<JsonObject>().Single(a => a["type"]!.GetValue<string>() == "Action.Execute");

    /// <summary>What Teams sends: the action's data with every input's value (as shown, unless changed).</summary>
    private static JsonObject Data(JsonObject card, params (string Id, string Value)[] changes)
    {
        var data = DeclareAction(card)["data"]!.DeepClone().AsObject();
        foreach (var input in card["body"]!.AsArray().OfType<JsonObject>().Where(e => e["id"] is not null))
        {
            data[input["id"]!.GetValue<string>()] = input["value"]?.GetValue<string>() ?? "";
        }

        foreach (var (id, value) in changes)
        {
            data[id] = value;
        }

        return data;
    }

    private static string Headline(JsonObject answer) => answer["value"]!["body"]![0]!["text"]!.GetValue<string>();

    private static string Texts(JsonObject answer) => answer["value"]!.ToJsonString();

    private static async Task<T> EventuallyAsync<T>(Func<T?> find) where T : class
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (find() is { } found)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < deadline, "The bot's answer did not come within 20 s.");
            await Task.Delay(100);
        }
    }
}
